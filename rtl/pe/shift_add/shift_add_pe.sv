// DESCRIPTION: MixPE-style shift-and-add PE of the shift_add family: the register-level behaviour
// of sim/pe/shift_add's Datapath. UINT4 group weights (code q, zero z, FP16 scale s, group-end
// flag) are latched on w_load; each valid cycle adds every weight bit plane's shifted activation
// into the group sum P = sum a*q and the activations into A = sum a (stage 1, no multiplier), and
// on a group's last chunk stage 2 dequantizes s * 2^ea * (P - z*A), rounds it once to FP32 (RNE)
// and adds it into the FP32 total (RNE, IEEE specials). INT8 activations (FP16 = 0) or FP16
// activations as 41-bit integers in units of 2^-24 with Inf/NaN flags (FP16 = 1).
// SPDX-License-Identifier: Apache-2.0
module shift_add_pe #(
    parameter int LANES = 4,
    parameter int FP16 = 0,  // 0: INT8 activations; 1: FP16 activations (a_exp = -24, specials)
    parameter int GROUP_LOG2 = 7,  // the group sums are sized for groups of 2^GROUP_LOG2 elements
    // Derived widths (the datasheet's): do not override.
    parameter int ACT_W = (FP16 != 0) ? 41 : 8,
    parameter int P_W = ACT_W + 4 + GROUP_LOG2,
    parameter int A_W = ACT_W + GROUP_LOG2
) (
    input  logic                   clk,
    input  logic                   rst_n,
    // Stationary weights; the latched copy leaves on w_*_out to chain down an array column.
    input  logic                   w_load,
    input  logic [4*LANES-1:0]     w_q_in,
    input  logic [3:0]             w_zero_in,
    input  logic [15:0]            w_scale_in,
    input  logic                   w_end_in,
    output logic [4*LANES-1:0]     w_q_out,
    output logic [3:0]             w_zero_out,
    output logic [15:0]            w_scale_out,
    output logic                   w_end_out,
    // Activations (lane l at [l*ACT_W +: ACT_W]) and their non-finite flags, passed right.
    input  logic                   valid_in,
    input  logic [LANES*ACT_W-1:0] a_in,
    input  logic [LANES-1:0]       a_nf_in,
    input  logic [LANES-1:0]       a_nan_in,
    input  logic [LANES-1:0]       a_neg_in,
    output logic                   valid_out,
    output logic [LANES*ACT_W-1:0] a_out,
    output logic [LANES-1:0]       a_nf_out,
    output logic [LANES-1:0]       a_nan_out,
    output logic [LANES-1:0]       a_neg_out,
    // The open group's sums and special flags {-Inf, +Inf, NaN}, passed down with valid_out.
    input  logic [P_W-1:0]         p_in,
    input  logic [A_W-1:0]         s_in,
    input  logic [2:0]             sp_in,
    output logic [P_W-1:0]         p_out,
    output logic [A_W-1:0]         s_out,
    output logic [2:0]             sp_out,
    // The FP32 total of the closed groups travels one cycle behind its sums (stage 2).
    input  logic [31:0]            total_in,
    output logic                   tvalid_out,
    output logic [31:0]            total_out
);
  localparam int A_EXP = (FP16 != 0) ? -24 : 0;
  localparam int D_W = P_W + 1;  // P - z*A: |P| < 2^(P_W-1), |z*A| < 15 * 2^(A_W-1)
  localparam int M_W = (P_W + 11 < 26) ? 26 : P_W + 11;  // |D| * 11-bit significand, >= 24+2
  localparam int LZ_W = $clog2(M_W + 1);

  // ---------------------------------------------------------------- weights
  logic [4*LANES-1:0] w_q;
  logic [3:0] w_zero;
  logic [15:0] w_scale;
  logic w_end;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      w_q     <= '0;
      w_zero  <= '0;
      w_scale <= '0;
      w_end   <= 1'b0;
    end else if (w_load) begin
      w_q     <= w_q_in;
      w_zero  <= w_zero_in;
      w_scale <= w_scale_in;
      w_end   <= w_end_in;
    end
  end
  assign w_q_out     = w_q;
  assign w_zero_out  = w_zero;
  assign w_scale_out = w_scale;
  assign w_end_out   = w_end;

  // ---------------------------------------------------------------- stage 1: shift-add tree
  // Every bit plane b of a lane's code gates (a << b) into one adder tree: a*q without a
  // multiplier. Everything is exact at P_W bits (the accumulator width of a full group).
  logic signed [P_W-1:0] tree;
  logic signed [A_W-1:0] asum;
  always_comb begin
    tree = '0;
    asum = '0;
    for (int l = 0; l < LANES; l++) begin
      for (int b = 0; b < 4; b++) begin
        tree = tree + ({P_W{w_q[4*l+b]}} &
                       ($signed({{(P_W - ACT_W) {a_in[l*ACT_W+ACT_W-1]}}, a_in[l*ACT_W+:ACT_W]})
                        <<< b));
      end
      asum = asum + $signed({{(A_W - ACT_W) {a_in[l*ACT_W+ACT_W-1]}}, a_in[l*ACT_W+:ACT_W]});
    end
  end

  // Stage-1 registers: the group sums after this chunk (P, A, specials) and the weight fields
  // stage 2 needs, so the next w_load cannot change a dequantization in flight.
  logic [P_W-1:0] p_q;
  logic [A_W-1:0] s_q;
  logic [2:0] sp_q;
  logic end_q;
  logic [3:0] zero_q;
  logic [15:0] scale_q;
  // The sums and the total are reset too: a PE below or to the right may read them before any
  // chunk has passed (they then read an empty group and +0.0).
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      valid_out <= 1'b0;
      p_q       <= '0;
      s_q       <= '0;
      end_q     <= 1'b0;
    end else begin
      valid_out <= valid_in;
      if (valid_in) begin
        a_out     <= a_in;
        p_q       <= p_in + tree;
        s_q       <= s_in + asum;
        end_q     <= w_end;
        zero_q    <= w_zero;
        scale_q   <= w_scale;
      end
    end
  end
  // A group's last chunk hands an empty group to the PE below.
  assign p_out  = end_q ? '0 : p_q;
  assign s_out  = end_q ? '0 : s_q;
  assign sp_out = end_q ? '0 : sp_q;

  // IEEE special-value flags of FP16 lanes: NaN in, or Inf times a zero term (q == z), is NaN;
  // otherwise the Inf's sign times the sign of q - z. INT8 activations have none, so the INT8
  // build has neither the flag logic nor its registers.
  if (FP16 != 0) begin : g_specials
    logic [2:0] flags;
    always_comb begin
      flags = 3'b000;
      for (int l = 0; l < LANES; l++) begin
        if (a_nf_in[l]) begin
          if (a_nan_in[l] || w_q[4*l+:4] == w_zero) flags[0] = 1'b1;
          else if (a_neg_in[l] != (w_q[4*l+:4] < w_zero)) flags[2] = 1'b1;
          else flags[1] = 1'b1;
        end
      end
    end
    always_ff @(posedge clk) begin
      if (!rst_n) begin
        sp_q <= 3'b000;
      end else if (valid_in) begin
        a_nf_out  <= a_nf_in;
        a_nan_out <= a_nan_in;
        a_neg_out <= a_neg_in;
        sp_q      <= sp_in | flags;
      end
    end
  end else begin : g_no_specials
    assign a_nf_out  = '0;
    assign a_nan_out = '0;
    assign a_neg_out = '0;
    assign sp_q      = 3'b000;
    logic unused_specials;
    assign unused_specials = ^{a_nf_in, a_nan_in, a_neg_in, sp_in};
  end

  // ---------------------------------------------------------------- stage 2: group dequantizer
  // D = P - z*A exactly, then |D| times the scale's 11-bit integer significand, normalized and
  // rounded once to FP32. The exponent range keeps every result normal: no subnormal or overflow
  // path is needed (|D| < 2^P_W, scale exponent 1..30, a_exp 0 or -24). Products are shift-add
  // over the bit planes of the 4-bit zero point and of the significand, and shifters are
  // logarithmic stages: no multiplier or barrel-shifter cells (which also keeps Yosys's resource
  // sharing search off this datapath).
  logic signed [D_W-1:0] za, d;
  logic [P_W-1:0] d_mag;
  logic [10:0] s_mant;
  logic [M_W-1:0] g_mag, g_norm;
  logic [LZ_W-1:0] g_lz;
  logic [22:0] g_frac;
  logic g_inc, g_carry;
  logic [4:0] s_exp;
  logic [7:0] g_exp;
  logic [31:0] gv;  // the group's FP32 value
  always_comb begin
    za = '0;
    for (int b = 0; b < 4; b++) begin
      za = za + ({D_W{zero_q[b]}} & ($signed({{(D_W - A_W) {s_q[A_W-1]}}, s_q}) <<< b));
    end
    d = $signed({p_q[P_W-1], p_q}) - za;
    d_mag = d[D_W-1] ? P_W'(-d) : d[P_W-1:0];
    s_exp = scale_q[14:10] != 5'd0 ? scale_q[14:10] : 5'd1;  // subnormal scales: exponent 1
    s_mant = {scale_q[14:10] != 5'd0, scale_q[9:0]};
    g_mag = '0;
    for (int b = 0; b < 11; b++) g_mag = g_mag + ({M_W{s_mant[b]}} & (M_W'(d_mag) << b));
    // Normalize: shift the leading one to the top, 2^k places at a time while the top 2^k bits
    // are zero; the stages taken spell the leading-zero count.
    g_norm = g_mag;
    g_lz = '0;
    for (int k = LZ_W - 1; k >= 0; k--) begin
      if ((g_norm >> (M_W - (1 << k))) == '0) begin
        g_norm = g_norm << (1 << k);
        g_lz[k] = 1'b1;
      end
    end
`ifdef MPSIM_MUTANT
    // Planted bug for the co-simulation's mutation check: ties round away from zero.
    g_inc = g_norm[M_W-25];
`else
    g_inc = g_norm[M_W-25] & ((|g_norm[M_W-26:0]) | g_norm[M_W-24]);
`endif
    // The leading one is the hidden bit: round the 23 fraction bits below it; a carry out makes
    // the significand 2^24, i.e. fraction 0 one binade up.
    {g_carry, g_frac} = {1'b0, g_norm[M_W-2-:23]} + 24'(g_inc);
    // Biased exponent of the leading one, (M_W - 1 - lz) + (e - 25 + a_exp) + 127 (always in
    // 1..254, so 8-bit arithmetic is exact).
    g_exp = 8'(M_W - 1 + 127 - 25 + A_EXP) - 8'(g_lz) + 8'(s_exp) + 8'(g_carry);
    if (sp_q != 3'b000) begin
      if (sp_q[0] || (sp_q[1] && sp_q[2]) || (scale_q[14:10] == 5'h1F && scale_q[9:0] != 10'd0) ||
          scale_q[14:0] == 15'd0) begin
        gv = 32'h7FC0_0000;
      end else begin
        gv = {sp_q[2] ^ scale_q[15], 8'hFF, 23'd0};
      end
    end else if (scale_q[14:10] == 5'h1F) begin
      gv = (scale_q[9:0] != 10'd0 || d == '0) ? 32'h7FC0_0000 : {d[D_W-1] ^ scale_q[15], 8'hFF, 23'd0};
    end else if (d == '0 || scale_q[14:0] == 15'd0) begin
      gv = 32'd0;
    end else begin
      gv = {d[D_W-1] ^ scale_q[15], g_exp, g_frac};
    end
  end

  // FP32 total + group value, RNE with subnormals (the total can be anything), IEEE specials;
  // NaN results are the canonical quiet NaN. One adder for both signs, logarithmic shifters.
  logic x_nan, y_nan, x_inf, y_inf, f_sub;
  logic [31:0] f_big, f_sml;
  logic [7:0] f_eb, f_es;
  logic [7:0] f_dexp;
  logic [4:0] f_dsh;
  logic [26:0] f_y;
  logic f_sticky;
  logic [27:0] f_s;
  logic [4:0] f_lz;
  logic [4:0] f_nsh;
  logic [26:0] f_sl, f_m;
  logic [8:0] f_e;
  logic f_inc;
  logic [30:0] f_r;
  logic [31:0] f_sum;
  always_comb begin
    x_nan = (&total_in[30:23]) & (|total_in[22:0]);
    y_nan = (&gv[30:23]) & (|gv[22:0]);
    x_inf = (&total_in[30:23]) & ~(|total_in[22:0]);
    y_inf = (&gv[30:23]) & ~(|gv[22:0]);
    // Order by magnitude so the exponent difference is never negative.
    if (gv[30:0] > total_in[30:0]) begin
      f_big = gv;
      f_sml = total_in;
    end else begin
      f_big = total_in;
      f_sml = gv;
    end
    f_sub = f_big[31] ^ f_sml[31];
    f_eb = f_big[30:23] == 8'd0 ? 8'd1 : f_big[30:23];
    f_es = f_sml[30:23] == 8'd0 ? 8'd1 : f_sml[30:23];
    f_dexp = f_eb - f_es;
    f_dsh = f_dexp > 8'd28 ? 5'd28 : f_dexp[4:0];
    // Align the smaller significand below guard, round and sticky bits.
    f_y = {f_sml[30:23] != 8'd0, f_sml[22:0], 3'd0};
    f_sticky = 1'b0;
    for (int k = 4; k >= 0; k--) begin
      if (f_dsh[k]) begin
        f_sticky = f_sticky | (|(f_y & ((27'd1 << (1 << k)) - 27'd1)));
        f_y = f_y >> (1 << k);
      end
    end
    f_y[0] = f_y[0] | f_sticky;
    f_s = {1'b0, f_big[30:23] != 8'd0, f_big[22:0], 3'd0} + ({1'b0, f_y} ^ {28{f_sub}}) +
          28'(f_sub);
    f_lz = 5'd27;
    for (int i = 0; i < 27; i++) begin
      if (f_s[i]) f_lz = 5'(26 - i);
    end
    // Normalize left, but never below the smallest exponent (a subnormal result).
    f_nsh = {3'd0, f_lz} < f_eb - 8'd1 ? f_lz : 5'(f_eb - 8'd1);
    f_sl = f_s[26:0];
    for (int k = 4; k >= 0; k--) begin
      if (f_nsh[k]) f_sl = f_sl << (1 << k);
    end
    // A carry out instead shifts right by one, the lost bit joining the sticky bit.
    f_m = f_s[27] ? {f_s[27:2], f_s[1] | f_s[0]} : f_sl;
    f_e = {1'b0, f_eb} + (f_s[27] ? 9'd1 : -{4'd0, f_nsh});
    f_inc = f_m[2] & (f_m[1] | f_m[0] | f_m[3]);
    f_r = {f_m[26] ? f_e[7:0] : 8'd0, f_m[25:3]} + 31'(f_inc);
    if (x_nan || y_nan || (x_inf && y_inf && f_sub)) f_sum = 32'h7FC0_0000;
    else if (x_inf || y_inf) f_sum = f_big;
    else if (f_s == '0) f_sum = {f_big[31] & ~f_sub, 31'd0};
    else if (f_e[8] || f_e[7:0] == 8'hFF) f_sum = {f_big[31], 8'hFF, 23'd0};
    else f_sum = {f_big[31], f_r};
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      tvalid_out <= 1'b0;
      total_out  <= '0;
    end else begin
      tvalid_out <= valid_out;
      if (valid_out) total_out <= end_q ? f_sum : total_in;
    end
  end
endmodule
