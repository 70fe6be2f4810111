// An N x N signed multiplier alone (combinational): the part of a MAC whose area grows
// with N squared (docs/energy.md#area).
module mul_n #(
    parameter int N = 8
) (
    input  logic signed [N-1:0]   a,
    input  logic signed [N-1:0]   b,
    output logic signed [2*N-1:0] p
);
    assign p = a * b;
endmodule
