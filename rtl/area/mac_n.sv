// A plain N-bit output-stationary systolic MAC PE, the reference point of the area
// comparisons in docs/energy.md#area (DTQAtten Sec. V: "a 16-bit MAC unit is almost 16x
// larger than a 4-bit MAC unit"; "the 4-bit PEs are about 71% of the area of the 12-bit
// PEs in SpAtten"). Same structure as rtl/vssa_pe.sv without the variable speed: F and W
// operand registers passed to the east / south neighbours, one N x N signed multiplier,
// an ACC-bit partial-sum register P (output stationary) and the drain path P <= p_in.
// Variants synthesized by tools/rtl_area.py: N = 4 (a fixed 4-bit MAC), 8 (a plain 8-bit
// PE), 12 (SpAtten's multipliers), 16 (Eyeriss'), each with ACC = 2N + 8 (8 guard bits:
// 256 products summed exactly), and N = 4 and 8 also with ACC = 32 (the VSSA PE's P width).
module mac_n #(
    parameter int N = 8,
    parameter int ACC = 32
) (
    input  logic                  clk,
    input  logic                  rst_n,   // synchronous, active low
    input  logic                  clear,   // start of a tile
    input  logic                  en,      // latch operands and accumulate
    input  logic                  shift,   // result drain: P <= p_in
    input  logic signed [N-1:0]   f_in,
    input  logic signed [N-1:0]   w_in,
    input  logic signed [ACC-1:0] p_in,
    output logic signed [N-1:0]   f_out,
    output logic signed [N-1:0]   w_out,
    output logic signed [ACC-1:0] p_out
);
    logic signed [N-1:0] f_q, w_q;
    logic signed [ACC-1:0] p_q;
    wire signed [2*N-1:0] prod = f_q * w_q;

    always_ff @(posedge clk) begin
        if (!rst_n || clear) begin
            f_q <= '0; w_q <= '0; p_q <= '0;
        end else begin
            if (shift)   p_q <= p_in;
            else if (en) p_q <= p_q + ACC'(prod);
            if (en) begin
                f_q <= f_in; w_q <= w_in;
            end
        end
    end

    assign f_out = f_q;
    assign w_out = w_q;
    assign p_out = p_q;
endmodule
