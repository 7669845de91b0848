// DESCRIPTION: Weight-stationary INT8 MAC PE of the int8_mac family: the register-level behaviour of
// sim/pe/int8_mac's datapath. LANES weights are latched on w_load (and shown on w_out so a column
// can shift them down); each valid cycle adds the LANES products a_in[l] * w[l] into the partial
// sum coming from above (two's complement wrap, so the adder-tree order cannot change the result)
// and passes the activations right.
// SPDX-License-Identifier: Apache-2.0
module int8_mac_pe #(
    parameter int LANES = 1
) (
    input  logic                 clk,
    input  logic                 rst_n,
    input  logic                 w_load,
    input  logic [LANES*8-1:0]   w_in,
    input  logic                 valid_in,
    input  logic [LANES*8-1:0]   a_in,
    input  logic signed [31:0]   psum_in,
    output logic                 valid_out,
    output logic [LANES*8-1:0]   a_out,
    output logic [LANES*8-1:0]   w_out,
    output logic signed [31:0]   psum_out
);
  logic [LANES*8-1:0] w_q;
  logic signed [31:0] dot;

  always_comb begin
    dot = psum_in;
    for (int l = 0; l < LANES; l++) begin
`ifdef MPSIM_MUTANT
      // Planted bug for the co-simulation's mutation check: the products lose their sign.
      dot = dot + 32'($signed({8'd0, a_in[l*8+:8]}) * $signed({8'd0, w_q[l*8+:8]}));
`else
      dot = dot + 32'($signed(a_in[l*8+:8]) * $signed(w_q[l*8+:8]));
`endif
    end
  end

  assign w_out = w_q;

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
      if (valid_in) psum_out <= dot;
    end
  end
endmodule
