// VSSA processing element (DTQAtten Sec. II-B, Fig. 1(b); DRQ's variable-speed PE).
//
// Registers: F (feature, from the west), W (weight, from the north), P (int32 partial
// sum, output stationary). Each operand carries its precision (8-bit or 4-bit) and a
// valid bit. A 4-bit operand is the signed value in [-8, 7] held sign-extended in the
// register; an 8-bit operand x is split into a signed high nibble xh = x >>> 4 and an
// unsigned low nibble xl = x & 15 (x = 16 xh + xl). One 5 x 5-bit signed multiplier
// (4-bit magnitude plus a sign/unsigned-nibble bit) does one nibble product per cycle:
//   4x4: 1 cycle   f * w
//   8x4: 2 cycles  fl * w, fh * w << 4
//   4x8: 2 cycles  f * wl, f * wh << 4
//   8x8: 4 cycles  fl*wl, fh*wl << 4, fl*wh << 4, fh*wh << 8
// Lockstep: `step` (the array's AND of every PE's `ready`) latches the next operands at
// the same edge at which the slowest PE does its last nibble; a PE that finished earlier
// stalls (`stall_o`) until then. docs/cosim.md maps this to the C++ model.
module vssa_pe (
    input  logic        clk,
    input  logic        rst_n,     // synchronous, active low
    input  logic        clear,     // start of a tile: P, operands and sequencing cleared
    input  logic        step,      // lockstep: latch the next operands at this edge
    input  logic        shift,     // result drain: P <= p_in
    input  logic [7:0]  f_in,      // feature from the west neighbour / row skew
    input  logic        f8_in,     // its precision is 8 bits (else 4)
    input  logic        fv_in,     // it is valid
    input  logic [7:0]  w_in,      // weight from the north neighbour / column skew
    input  logic        w8_in,
    input  logic        wv_in,
    input  logic [31:0] p_in,      // P of the PE below (result drain)
    output logic [7:0]  f_out,     // F register, to the east neighbour
    output logic        f8_out,
    output logic        fv_out,
    output logic [7:0]  w_out,     // W register, to the south neighbour
    output logic        w8_out,
    output logic        wv_out,
    output logic [31:0] p_out,     // P register
    output logic        ready,     // idle, done, or doing its last nibble this cycle
    output logic        busy_o,    // doing a nibble MAC this cycle
    output logic        stall_o    // active and done: waiting for the slowest PE
);
    logic [7:0]  f_q, w_q;
    logic        f8_q, fv_q, w8_q, wv_q;
    logic [31:0] p_q;
    logic [1:0]  ph_q;    // nibble phase within the current MAC
    logic        done_q;  // the current MAC is complete

    wire active = fv_q & wv_q;
    // phases - 1: 8x8 -> 3, 8x4 / 4x8 -> 1, 4x4 -> 0
    wire [1:0] last_ph = {f8_q & w8_q, f8_q | w8_q};
    wire last = ph_q == last_ph;
    wire mac = active & ~done_q;

    // Nibble selection: F walks L, H on ph[0]; W walks L, H on ph[1] when F is 8-bit,
    // on ph[0] when F is 4-bit.
    wire f_hi = f8_q & ph_q[0];
    wire w_hi = w8_q & (f8_q ? ph_q[1] : ph_q[0]);
    logic signed [4:0] fn, wn;
    always_comb begin
        if (!f8_q)     fn = {f_q[3], f_q[3:0]};   // signed 4-bit value
        else if (f_hi) fn = {f_q[7], f_q[7:4]};   // signed high nibble
        else           fn = {1'b0, f_q[3:0]};     // unsigned low nibble
        if (!w8_q)     wn = {w_q[3], w_q[3:0]};
        else if (w_hi) wn = {w_q[7], w_q[7:4]};
        else           wn = {1'b0, w_q[3:0]};
    end
    wire signed [9:0] prod = fn * wn;
    wire [31:0] prod32 = {{22{prod[9]}}, prod};
    wire [31:0] term = (f_hi & w_hi) ? (prod32 << 8) : (f_hi | w_hi) ? (prod32 << 4) : prod32;

    always_ff @(posedge clk) begin
        if (!rst_n || clear) begin
            f_q <= '0; f8_q <= 1'b0; fv_q <= 1'b0;
            w_q <= '0; w8_q <= 1'b0; wv_q <= 1'b0;
            p_q <= '0; ph_q <= '0; done_q <= 1'b0;
        end else begin
            if (shift)    p_q <= p_in;
            else if (mac) p_q <= p_q + term;
            if (step) begin
                f_q <= f_in; f8_q <= f8_in; fv_q <= fv_in;
                w_q <= w_in; w8_q <= w8_in; wv_q <= wv_in;
                ph_q <= '0; done_q <= 1'b0;
            end else if (mac) begin
                if (last) done_q <= 1'b1;
                else      ph_q <= ph_q + 2'd1;
            end
        end
    end

    assign f_out = f_q;  assign f8_out = f8_q;  assign fv_out = fv_q;
    assign w_out = w_q;  assign w8_out = w8_q;  assign wv_out = wv_q;
    assign p_out = p_q;
    assign ready = ~active | done_q | last;
    assign busy_o = mac;
    assign stall_o = active & done_q;
endmodule
