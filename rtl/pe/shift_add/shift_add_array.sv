// DESCRIPTION: ROWS x COLS weight-stationary array of shift_add PEs, wired as mpsim's
// SystolicKernel assumes: weight chunks (codes, zero, scale, group end) shift down the columns
// during ROWS cycles of w_load (bottom row first); activation chunks enter row r at the left edge
// skewed by r cycles and move one PE right per cycle with their valid bit; the open group's sums
// enter the top of column c skewed by c and move one PE down per cycle, the FP32 total of the
// closed groups one cycle behind them (each PE's dequantizer is its second stage). The bottom
// row's sums, totals and valid bits are the outputs.
// SPDX-License-Identifier: Apache-2.0
module shift_add_array #(
    parameter int ROWS = 4,
    parameter int COLS = 4,
    parameter int LANES = 4,
    parameter int FP16 = 0,
    parameter int GROUP_LOG2 = 5,
    // Derived widths (shift_add_pe's): do not override.
    parameter int ACT_W = (FP16 != 0) ? 41 : 8,
    parameter int P_W = ACT_W + 4 + GROUP_LOG2,
    parameter int A_W = ACT_W + GROUP_LOG2
) (
    input  logic                        clk,
    input  logic                        rst_n,
    input  logic                        w_load,
    input  logic [COLS*4*LANES-1:0]     w_q_in,
    input  logic [COLS*4-1:0]           w_zero_in,
    input  logic [COLS*16-1:0]          w_scale_in,
    input  logic [COLS-1:0]             w_end_in,
    input  logic [ROWS-1:0]             valid_in,
    input  logic [ROWS*LANES*ACT_W-1:0] a_in,
    input  logic [ROWS*LANES-1:0]       a_nf_in,
    input  logic [ROWS*LANES-1:0]       a_nan_in,
    input  logic [ROWS*LANES-1:0]       a_neg_in,
    input  logic [COLS*P_W-1:0]         p_in,
    input  logic [COLS*A_W-1:0]         s_in,
    input  logic [COLS*3-1:0]           sp_in,
    input  logic [COLS*32-1:0]          total_in,
    output logic [COLS-1:0]             valid_out,
    output logic [COLS*P_W-1:0]         p_out,
    output logic [COLS*A_W-1:0]         s_out,
    output logic [COLS*3-1:0]           sp_out,
    output logic [COLS-1:0]             tvalid_out,
    output logic [COLS*32-1:0]          total_out
);
  localparam int AB = LANES * ACT_W;

  // Inter-PE wires: horizontal (activations, flags, valid) and vertical (weights, sums, totals).
  logic [AB-1:0]      a_h   [ROWS][COLS+1];
  logic [LANES-1:0]   nf_h  [ROWS][COLS+1];
  logic [LANES-1:0]   nan_h [ROWS][COLS+1];
  logic [LANES-1:0]   neg_h [ROWS][COLS+1];
  logic               v_h   [ROWS][COLS+1];
  logic [4*LANES-1:0] wq_v  [ROWS+1][COLS];
  logic [3:0]         wz_v  [ROWS+1][COLS];
  logic [15:0]        ws_v  [ROWS+1][COLS];
  logic               we_v  [ROWS+1][COLS];
  logic [P_W-1:0]     p_v   [ROWS+1][COLS];
  logic [A_W-1:0]     s_v   [ROWS+1][COLS];
  logic [2:0]         sp_v  [ROWS+1][COLS];
  logic [31:0]        t_v   [ROWS+1][COLS];
  logic               tv_v  [ROWS][COLS];

  genvar r, c;
  generate
    for (r = 0; r < ROWS; r++) begin : g_left
      assign a_h[r][0]   = a_in[r*AB+:AB];
      assign nf_h[r][0]  = a_nf_in[r*LANES+:LANES];
      assign nan_h[r][0] = a_nan_in[r*LANES+:LANES];
      assign neg_h[r][0] = a_neg_in[r*LANES+:LANES];
      assign v_h[r][0]   = valid_in[r];
    end
    for (c = 0; c < COLS; c++) begin : g_top
      assign wq_v[0][c] = w_q_in[c*4*LANES+:4*LANES];
      assign wz_v[0][c] = w_zero_in[c*4+:4];
      assign ws_v[0][c] = w_scale_in[c*16+:16];
      assign we_v[0][c] = w_end_in[c];
      assign p_v[0][c]  = p_in[c*P_W+:P_W];
      assign s_v[0][c]  = s_in[c*A_W+:A_W];
      assign sp_v[0][c] = sp_in[c*3+:3];
      assign t_v[0][c]  = total_in[c*32+:32];
      assign valid_out[c]        = v_h[ROWS-1][c+1];
      assign p_out[c*P_W+:P_W]   = p_v[ROWS][c];
      assign s_out[c*A_W+:A_W]   = s_v[ROWS][c];
      assign sp_out[c*3+:3]      = sp_v[ROWS][c];
      assign tvalid_out[c]       = tv_v[ROWS-1][c];
      assign total_out[c*32+:32] = t_v[ROWS][c];
    end
    for (r = 0; r < ROWS; r++) begin : g_row
      for (c = 0; c < COLS; c++) begin : g_col
        shift_add_pe #(
            .LANES(LANES),
            .FP16(FP16),
            .GROUP_LOG2(GROUP_LOG2)
        ) pe (
            .clk        (clk),
            .rst_n      (rst_n),
            .w_load     (w_load),
            .w_q_in     (wq_v[r][c]),
            .w_zero_in  (wz_v[r][c]),
            .w_scale_in (ws_v[r][c]),
            .w_end_in   (we_v[r][c]),
            .w_q_out    (wq_v[r+1][c]),
            .w_zero_out (wz_v[r+1][c]),
            .w_scale_out(ws_v[r+1][c]),
            .w_end_out  (we_v[r+1][c]),
            .valid_in   (v_h[r][c]),
            .a_in       (a_h[r][c]),
            .a_nf_in    (nf_h[r][c]),
            .a_nan_in   (nan_h[r][c]),
            .a_neg_in   (neg_h[r][c]),
            .valid_out  (v_h[r][c+1]),
            .a_out      (a_h[r][c+1]),
            .a_nf_out   (nf_h[r][c+1]),
            .a_nan_out  (nan_h[r][c+1]),
            .a_neg_out  (neg_h[r][c+1]),
            .p_in       (p_v[r][c]),
            .s_in       (s_v[r][c]),
            .sp_in      (sp_v[r][c]),
            .p_out      (p_v[r+1][c]),
            .s_out      (s_v[r+1][c]),
            .sp_out     (sp_v[r+1][c]),
            .total_in   (t_v[r][c]),
            .tvalid_out (tv_v[r][c]),
            .total_out  (t_v[r+1][c])
        );
      end
    end
  endgenerate

  // The right edge's activations, the bottom row's weights and the upper rows' stage-2 valid
  // bits (the bottom row's valid_out already times the sums below it) leave unused.
  logic unused;
  always_comb begin
    unused = 1'b0;
    for (int i = 0; i < ROWS; i++) begin
      unused = unused ^ (^a_h[i][COLS]) ^ (^nf_h[i][COLS]) ^ (^nan_h[i][COLS]) ^
               (^neg_h[i][COLS]) ^ v_h[i][COLS];
    end
    for (int j = 0; j < COLS; j++) begin
      unused = unused ^ (^wq_v[ROWS][j]) ^ (^wz_v[ROWS][j]) ^ (^ws_v[ROWS][j]) ^ we_v[ROWS][j];
      for (int i = 0; i < ROWS - 1; i++) unused = unused ^ tv_v[i][j];
    end
  end
endmodule
