// R x C output-stationary variable-speed systolic array (DTQAtten Fig. 5(a)).
//
// A tile: rows x cols active PEs (the top-left corner; the rest is masked off), k MACs
// per PE. Protocol, one clock domain, synchronous active-low reset:
//   1. In IDLE, `start` with `rows`, `cols`, `k_len` (all >= 1) clears the PEs (edge E0).
//   2. RUN. The feeder presents vector number n (A[:, n] on a_vec/a8, B[n, :] on
//      b_vec/b8); the array consumes it at every edge where `feed_ready` is 1 and then
//      expects vector n + 1. Inside, row i of A is delayed by i steps and column j of B by
//      j steps (operand skew), so PE (i, j) does MAC k in step k + i + j. A step ends at
//      the edge where every active PE is done (`step`): all PEs then latch the next
//      operands together (lockstep). The first step edge (E1, one cycle after E0) only
//      loads step 0's operands: nothing is active before it. The run has
//      k + rows + cols - 2 steps.
//   3. DRAIN, `rows` cycles: `res_valid`, `res_row` = r, `res_data` = P of array row r
//      (cols x int32, column j in bits [32j +: 32]); P shifts up one row per edge.
//   4. IDLE again; `done` is 1 for one cycle. `cycle_count` = cycles the tile took =
//      1 (load) + sum of step durations + rows (drain); `busy_pe_cycles` and
//      `stall_pe_cycles` sum the PEs' `busy_o` / `stall_o` over the run.
// docs/cosim.md and docs/timing-model.md#vssa state the same contract for the model.
module vssa_array #(
    parameter int R  = 16,
    parameter int C  = 18,
    parameter int KW = 16
) (
    input  logic                    clk,
    input  logic                    rst_n,
    input  logic                    start,
    input  logic [$clog2(R+1)-1:0]  rows,
    input  logic [$clog2(C+1)-1:0]  cols,
    input  logic [KW-1:0]           k_len,
    output logic                    busy,
    output logic                    done,
    output logic                    feed_ready,
    input  logic [8*R-1:0]          a_vec,      // A[i][n] in bits [8i +: 8]
    input  logic [R-1:0]            a8,         // its precision is 8 bits (else 4)
    input  logic [8*C-1:0]          b_vec,      // B[n][j] in bits [8j +: 8]
    input  logic [C-1:0]            b8,
    output logic                    res_valid,
    output logic [$clog2(R)-1:0]    res_row,
    output logic [32*C-1:0]         res_data,
    output logic [31:0]             cycle_count,
    output logic [63:0]             busy_pe_cycles,
    output logic [63:0]             stall_pe_cycles
);
    typedef enum logic [1:0] {IDLE, RUN, DRAIN} state_t;
    state_t state_q;

    logic [$clog2(R+1)-1:0] rows_q;
    logic [$clog2(C+1)-1:0] cols_q;
    logic [KW-1:0]          k_q, fed_q;     // vectors expected / consumed
    logic [KW+1:0]          steps_q;        // step edges left in RUN (load included)
    logic [$clog2(R)-1:0]   drain_q;

    // PE interconnect: f/w flow east/south, p flows north during the drain.
    logic [7:0]  f   [R][C+1];
    logic        f8  [R][C+1];
    logic        fv  [R][C+1];
    logic [7:0]  w   [R+1][C];
    logic        w8  [R+1][C];
    logic        wv  [R+1][C];
    logic [31:0] p   [R+1][C];
    logic [R*C-1:0] ready_v, busy_v, stall_v;

    wire running = state_q == RUN;
    wire step = running & (&ready_v);
    wire feeding = fed_q < k_q;
    wire clear = (state_q == IDLE) & start;

    // ---- operand skew: row i delayed by i steps, column j by j steps ----------------
    // skew registers hold {value, 8-bit, valid}; they advance only on `step`.
    for (genvar i = 0; i < R; i++) begin : g_row
        wire [9:0] in_r = {a_vec[8*i +: 8], a8[i], feeding && (i < int'(rows_q))};
        if (i == 0) begin : g_direct
            assign {f[i][0], f8[i][0], fv[i][0]} = in_r;
        end else begin : g_skew
            logic [9:0] dly_q [i];
            always_ff @(posedge clk) begin
                if (!rst_n || clear) begin
                    for (int d = 0; d < i; d++) dly_q[d] <= '0;
                end else if (step) begin
                    dly_q[0] <= in_r;
                    for (int d = 1; d < i; d++) dly_q[d] <= dly_q[d-1];
                end
            end
            assign {f[i][0], f8[i][0], fv[i][0]} = dly_q[i-1];
        end
    end
    for (genvar j = 0; j < C; j++) begin : g_col
        wire [9:0] in_c = {b_vec[8*j +: 8], b8[j], feeding && (j < int'(cols_q))};
        if (j == 0) begin : g_direct
            assign {w[0][j], w8[0][j], wv[0][j]} = in_c;
        end else begin : g_skew
            logic [9:0] dly_q [j];
            always_ff @(posedge clk) begin
                if (!rst_n || clear) begin
                    for (int d = 0; d < j; d++) dly_q[d] <= '0;
                end else if (step) begin
                    dly_q[0] <= in_c;
                    for (int d = 1; d < j; d++) dly_q[d] <= dly_q[d-1];
                end
            end
            assign {w[0][j], w8[0][j], wv[0][j]} = dly_q[j-1];
        end
        assign p[R][j] = '0;
    end

    // ---- the PE grid -----------------------------------------------------------------
    for (genvar i = 0; i < R; i++) begin : g_pe_r
        for (genvar j = 0; j < C; j++) begin : g_pe_c
            vssa_pe u_pe (
                .clk, .rst_n, .clear, .step, .shift(state_q == DRAIN),
                .f_in(f[i][j]), .f8_in(f8[i][j]), .fv_in(fv[i][j]),
                .w_in(w[i][j]), .w8_in(w8[i][j]), .wv_in(wv[i][j]),
                .p_in(p[i+1][j]),
                .f_out(f[i][j+1]), .f8_out(f8[i][j+1]), .fv_out(fv[i][j+1]),
                .w_out(w[i+1][j]), .w8_out(w8[i+1][j]), .wv_out(wv[i+1][j]),
                .p_out(p[i][j]),
                .ready(ready_v[i*C+j]), .busy_o(busy_v[i*C+j]), .stall_o(stall_v[i*C+j])
            );
        end
        // f/w leaving the east/south edge are unused
        wire unused_east = ^{f[i][C], f8[i][C], fv[i][C]};
    end
    for (genvar j = 0; j < C; j++) begin : g_south
        wire unused_south = ^{w[R][j], w8[R][j], wv[R][j]};
        assign res_data[32*j +: 32] = p[0][j];
    end

    // ---- control -----------------------------------------------------------------------
    always_ff @(posedge clk) begin
        if (!rst_n) begin
            state_q <= IDLE;
            rows_q <= '0; cols_q <= '0; k_q <= '0; fed_q <= '0; steps_q <= '0; drain_q <= '0;
            done <= 1'b0;
            cycle_count <= '0; busy_pe_cycles <= '0; stall_pe_cycles <= '0;
        end else begin
            done <= 1'b0;
            if (state_q != IDLE) cycle_count <= cycle_count + 32'd1;
            if (running) begin
                busy_pe_cycles  <= busy_pe_cycles + 64'($countones(busy_v));
                stall_pe_cycles <= stall_pe_cycles + 64'($countones(stall_v));
            end
            case (state_q)
                IDLE: if (start) begin
                    state_q <= RUN;
                    rows_q <= rows; cols_q <= cols; k_q <= k_len; fed_q <= '0;
                    // load + (k + rows + cols - 2) steps
                    steps_q <= (KW+2)'(k_len) + (KW+2)'(rows) + (KW+2)'(cols) - (KW+2)'(1);
                    drain_q <= '0;
                    cycle_count <= '0; busy_pe_cycles <= '0; stall_pe_cycles <= '0;
                end
                RUN: if (step) begin
                    if (feeding) fed_q <= fed_q + 1'b1;
                    steps_q <= steps_q - 1'b1;
                    if (steps_q == (KW+2)'(1)) state_q <= DRAIN;
                end
                DRAIN: begin
                    if (drain_q == $bits(drain_q)'(int'(rows_q) - 1)) begin
                        state_q <= IDLE;
                        done <= 1'b1;
                    end
                    drain_q <= drain_q + 1'b1;
                end
                default: state_q <= IDLE;
            endcase
        end
    end

    assign busy = state_q != IDLE;
    assign feed_ready = step & feeding;
    assign res_valid = state_q == DRAIN;
    assign res_row = drain_q;
endmodule
