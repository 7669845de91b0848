// DESCRIPTION: Weight-stationary INT8 MAC PE of the int8_mac family (lanes = 1): the register-level
// behaviour of sim/pe/int8_mac's datapath. A weight is latched on w_load; each valid cycle adds
// a_in * w into the partial sum coming from above (two's complement wrap) and passes a right.
// SPDX-License-Identifier: Apache-2.0
module int8_mac_pe (
    input  logic               clk,
    input  logic               rst_n,
    input  logic               w_load,
    input  logic signed [7:0]  w_in,
    input  logic               valid_in,
    input  logic signed [7:0]  a_in,
    input  logic signed [31:0] psum_in,
    output logic               valid_out,
    output logic signed [7:0]  a_out,
    output logic signed [31:0] psum_out
);
  logic signed [7:0] w_q;
  logic signed [15:0] prod;
`ifdef MPSIM_MUTANT
  // Planted bug for the co-simulation's mutation check: the product loses its sign.
  assign prod = $signed({8'd0, a_in}) * $signed({8'd0, w_q});
`else
  assign prod = a_in * w_q;
`endif

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      w_q       <= '0;
      valid_out <= 1'b0;
      a_out     <= '0;
      psum_out  <= '0;
    end else begin
      if (w_load) w_q <= w_in;
      valid_out <= valid_in;
      a_out     <= a_in;
      if (valid_in) psum_out <= psum_in + 32'(prod);
    end
  end
endmodule
