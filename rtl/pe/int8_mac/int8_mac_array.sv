// DESCRIPTION: ROWS x COLS weight-stationary array of int8_mac PEs (lanes 1), wired as mpsim's
// SystolicKernel assumes: weights shift down the columns during ROWS cycles of w_load (so the
// bottom row is fed first), activations enter row r at the left edge skewed by r cycles and move
// one PE right per cycle with their valid bit, partial sums enter the top of column c skewed by c
// and move one PE down per cycle; the bottom row's partial sums and valid bits are the outputs.
// SPDX-License-Identifier: Apache-2.0
module int8_mac_array #(
    parameter int ROWS = 4,
    parameter int COLS = 4
) (
    input  logic                 clk,
    input  logic                 rst_n,
    input  logic                 w_load,
    input  logic [COLS*8-1:0]    w_in,
    input  logic [ROWS-1:0]      a_valid,
    input  logic [ROWS*8-1:0]    a_in,
    input  logic [COLS*32-1:0]   psum_in,
    output logic [COLS-1:0]      out_valid,
    output logic [COLS*32-1:0]   psum_out
);
  // Inter-PE wires: horizontal (activation + valid) and vertical (weight + partial sum) chains.
  logic [7:0]  a_h  [ROWS][COLS+1];
  logic        v_h  [ROWS][COLS+1];
  logic [7:0]  w_v  [ROWS+1][COLS];
  logic [31:0] p_v  [ROWS+1][COLS];

  genvar r, c;
  generate
    for (r = 0; r < ROWS; r++) begin : g_left
      assign a_h[r][0] = a_in[r*8+:8];
      assign v_h[r][0] = a_valid[r];
    end
    for (c = 0; c < COLS; c++) begin : g_top
      assign w_v[0][c] = w_in[c*8+:8];
      assign p_v[0][c] = psum_in[c*32+:32];
      assign psum_out[c*32+:32] = p_v[ROWS][c];
      assign out_valid[c] = v_h[ROWS-1][c+1];
    end
    for (r = 0; r < ROWS; r++) begin : g_row
      for (c = 0; c < COLS; c++) begin : g_col
        int8_mac_pe #(.LANES(1)) pe (
            .clk      (clk),
            .rst_n    (rst_n),
            .w_load   (w_load),
            .w_in     (w_v[r][c]),
            .valid_in (v_h[r][c]),
            .a_in     (a_h[r][c]),
            .psum_in  (p_v[r][c]),
            .valid_out(v_h[r][c+1]),
            .a_out    (a_h[r][c+1]),
            .w_out    (w_v[r+1][c]),
            .psum_out (p_v[r+1][c])
        );
      end
    end
  endgenerate

  // The right edge's activations and the bottom row's weights leave the array unused.
  logic unused;
  always_comb begin
    unused = 1'b0;
    for (int i = 0; i < ROWS; i++) unused = unused ^ (^a_h[i][COLS]);
    for (int j = 0; j < COLS; j++) unused = unused ^ (^w_v[ROWS][j]);
  end
endmodule
