// DESCRIPTION: The MX/BFP block PE of the block_fp family: the register-level behaviour of
// sim/pe/block_fp's Datapath. A stationary W block (BLOCK element codes + shared exponent) is
// latched on w_load; an A block streams LANES element codes per cycle. Each lane decodes both
// elements to (signed mantissa, shift), multiplies the mantissas and shifts the product into the
// exact block-sum register. The cycle after the block's last lanes (stage 2), the block sum is
// scaled by both shared exponents, rounded once to FP32 (RNE, subnormals, overflow to Inf) and
// added into the FP32 accumulator (RNE) with num::block_dot's NaN/Inf rules.
// SPDX-License-Identifier: Apache-2.0
//
// Element formats (FMT_A, FMT_W): 0 INT8 (mxint8, bfp16; k/64), 1 FP8 E4M3, 2 FP8 E5M2,
// 3 FP6 E3M2, 4 FP6 E2M3, 5 FP4 E2M1, 6 INT4 (bfp12; k/4).
module block_fp_pe #(
    parameter int LANES = 4,
    parameter int BLOCK = 32,
    parameter int FMT_A = 1,
    parameter int FMT_W = 1,
    // Element code widths and the block-length port width follow from the parameters above.
    localparam int AB = (FMT_A == 3 || FMT_A == 4) ? 6 : (FMT_A == 5 || FMT_A == 6) ? 4 : 8,
    localparam int WB = (FMT_W == 3 || FMT_W == 4) ? 6 : (FMT_W == 5 || FMT_W == 6) ? 4 : 8,
    localparam int LEN_W = $clog2(BLOCK + 1)
) (
    input  logic                  clk,
    input  logic                  rst_n,
    // Stationary W block: honoured only while the PE is idle and no A block starts this cycle.
    input  logic                  w_load,
    input  logic [BLOCK*WB-1:0]   w_codes,
    input  logic [7:0]            w_scale,
    // Streamed A block: a_first (with a_valid) starts a block of `len` elements (1..BLOCK) and
    // samples a_scale, acc_in and acc_final_in; every a_valid cycle consumes the next LANES codes.
    input  logic                  a_valid,
    input  logic                  a_first,
    input  logic [LANES*AB-1:0]   a_codes,
    input  logic [7:0]            a_scale,
    input  logic [LEN_W-1:0]      len,
    input  logic [31:0]           acc_in,
    input  logic                  acc_final_in,
    output logic                  ready,
    output logic                  out_valid,
    output logic [31:0]           acc_out,
    output logic                  acc_final_out
);
  localparam int F_INT8 = 0, F_E4M3 = 1, F_E5M2 = 2, F_E3M2 = 3, F_E2M3 = 4, F_E2M1 = 5,
      F_INT4 = 6;

  // ---- Format constants (element = k * 2^ulp; k = m << shift) -------------------------------
  function automatic int mult_bits(input int f);  // sign + significand (with hidden bit) / int
    case (f)
      F_E4M3, F_E2M3: mult_bits = 5;
      F_E5M2, F_E3M2, F_INT4: mult_bits = 4;
      F_E2M1: mult_bits = 3;
      default: mult_bits = 8;
    endcase
  endfunction
  function automatic int max_shift(input int f);  // largest finite biased exponent - 1
    case (f)
      F_E4M3: max_shift = 14;
      F_E5M2: max_shift = 29;
      F_E3M2: max_shift = 6;
      F_E2M3, F_E2M1: max_shift = 2;
      default: max_shift = 0;
    endcase
  endfunction
  function automatic int ulp_exp(input int f);  // exponent of one step of k
    case (f)
      F_E4M3: ulp_exp = -9;
      F_E5M2: ulp_exp = -16;
      F_E3M2: ulp_exp = -4;
      F_E2M3: ulp_exp = -3;
      F_E2M1: ulp_exp = -1;
      F_INT4: ulp_exp = -2;
      default: ulp_exp = -6;
    endcase
  endfunction
  function automatic logic [63:0] max_k(input int f);  // largest |k| of a finite code
    case (f)
      F_E4M3: max_k = 64'd229376;
      F_E5M2: max_k = 64'd3758096384;
      F_E3M2: max_k = 64'd448;
      F_E2M3: max_k = 64'd60;
      F_E2M1: max_k = 64'd12;
      F_INT4: max_k = 64'd8;
      default: max_k = 64'd128;
    endcase
  endfunction
  // Signed width of the widest exact block sum (numerics.md 2.5, block_sum_bits() in C++).
  function automatic int sum_bits(input int fa, input int fw, input int block);
    logic [127:0] m;
    m = 128'(max_k(fa)) * 128'(max_k(fw)) * 128'(block);
    sum_bits = 0;
    for (int i = 0; i < 128; i++) if (m[i]) sum_bits = i + 1;
    sum_bits = sum_bits + 1;
  endfunction
  function automatic int clog2(input int v);
    clog2 = 0;
    while ((1 << clog2) < v) clog2 = clog2 + 1;
  endfunction

  localparam int MA = mult_bits(FMT_A), MW = mult_bits(FMT_W);
  localparam int SUM_W = sum_bits(FMT_A, FMT_W, BLOCK);
  localparam int SH_W = clog2(max_shift(FMT_A) + max_shift(FMT_W) + 1) + 1;
  localparam int ULP = ulp_exp(FMT_A) + ulp_exp(FMT_W);
  localparam int CNT_W = clog2(BLOCK + LANES + 1);
  localparam int XW = SUM_W + 24;  // block-sum magnitude with room for 24 significand bits

  // ---- Element decode: code -> signed mantissa m, product shift, NaN --------------------------
  // A normal float element is (1.f) << (biased exponent - 1) in units of the min subnormal, a
  // subnormal is 0.f, an integer element is itself (ElementTable::make in C++). NaN codes (and
  // E5M2's Inf codes) decode to 0 and raise the block's NaN flag.
  function automatic logic [4:0] fexp(input logic [6:1] c, input int f);
    case (f)
      F_E4M3: fexp = {1'b0, c[6:3]};
      F_E5M2: fexp = c[6:2];
      F_E3M2: fexp = {2'b0, c[4:2]};
      F_E2M3: fexp = {3'b0, c[4:3]};
      default: fexp = {3'b0, c[2:1]};
    endcase
  endfunction
  function automatic logic dec_nan(input logic [6:0] c, input int f);
    case (f)
      F_E4M3: dec_nan = c[6:0] == 7'h7F;
      F_E5M2: dec_nan = c[6:2] == 5'h1F;
      default: dec_nan = 1'b0;
    endcase
  endfunction
  function automatic logic signed [7:0] dec_m(input logic [7:0] c, input int f);
    logic [7:0] mag;
    logic [4:0] e;
    logic s;
    e = fexp(c[6:1], f);
    case (f)
      F_E4M3: begin s = c[7]; mag = {4'b0, e != 0, c[2:0]}; end
      F_E5M2: begin s = c[7]; mag = {5'b0, e != 0, c[1:0]}; end
      F_E3M2: begin s = c[5]; mag = {5'b0, e != 0, c[1:0]}; end
      F_E2M3: begin s = c[5]; mag = {4'b0, e != 0, c[2:0]}; end
      F_E2M1: begin s = c[3]; mag = {6'b0, e != 0, c[0]}; end
      default: begin s = 1'b0; mag = 8'b0; end
    endcase
    if (f == F_INT8) dec_m = c;
    else if (f == F_INT4) dec_m = {{4{c[3]}}, c[3:0]};
    else if (dec_nan(c[6:0], f)) dec_m = '0;
    else dec_m = s ? -mag : mag;
  endfunction
  function automatic logic [4:0] dec_shift(input logic [6:0] c, input int f);
    logic [4:0] e;
    e = fexp(c[6:1], f);
    if (f == F_INT8 || f == F_INT4 || e == 0 || dec_nan(c[6:0], f)) dec_shift = '0;
    else dec_shift = e - 5'd1;
  endfunction

  // ---- Registers ------------------------------------------------------------------------------
  logic [BLOCK*WB-1:0] w_q;       // stationary W block
  logic [7:0] w_scale_q, a_scale_q;
  logic [LEN_W-1:0] len_q;
  logic [31:0] acc_in_q;          // accumulator entering this block (Datapath::acc at load)
  logic acc_final_q;
  logic [CNT_W-1:0] cnt_q;        // elements consumed (Datapath::next)
  logic busy_q;                   // Datapath::busy
  logic signed [SUM_W-1:0] sum_q; // the exact block-sum register (Datapath::sum)
  logic a_nan_q, w_nan_q;         // a NaN element code seen in the block so far
  logic close_q;                  // stage 2: the block's last lanes were added last cycle

  // ---- Stage 1: LANES products into the block sum ---------------------------------------------
  logic start, step, last;
  logic [CNT_W-1:0] base;
  logic [LEN_W-1:0] len_c;
  logic signed [SUM_W-1:0] sum_d;
  logic a_nan_d, w_nan_d;

  assign start = a_valid && a_first;
  assign step  = a_valid && (a_first || busy_q);
  assign base  = start ? '0 : cnt_q;
  assign len_c = start ? len : len_q;
  assign last  = 32'(base) + LANES >= 32'(len_c);

  always_comb begin
    logic [7:0] ac, wc;
    logic signed [MA+MW-1:0] prod;
    logic signed [SUM_W-1:0] term;
    int idx;
    sum_d   = start ? '0 : sum_q;
    a_nan_d = start ? 1'b0 : a_nan_q;
    w_nan_d = start ? 1'b0 : w_nan_q;
    for (int l = 0; l < LANES; l++) begin
      prod = '0;
      term = '0;
      idx = 32'(base) + l;
      ac  = 8'(a_codes[l*AB+:AB]);
      wc  = idx < BLOCK ? 8'(w_q[idx*WB+:WB]) : 8'd0;
      // Lanes past the block's length (a partial last block) add nothing.
      if (idx < 32'(len_c)) begin
        prod  = $signed(MA'(dec_m(ac, FMT_A))) * $signed(MW'(dec_m(wc, FMT_W)));
        term  = {{(SUM_W - MA - MW){prod[MA+MW-1]}}, prod};
        sum_d = sum_d + (term <<< (SH_W'(dec_shift(ac[6:0], FMT_A)) +
                                   SH_W'(dec_shift(wc[6:0], FMT_W))));
        a_nan_d = a_nan_d | dec_nan(ac[6:0], FMT_A);
        w_nan_d = w_nan_d | dec_nan(wc[6:0], FMT_W);
      end
    end
  end

  // ---- Stage 2: scale, round once to FP32, accumulate ------------------------------------------
  // round_block: value = sum * 2^exp. With p the leading one of |sum|, the FP32 result's ulp is
  // 2^max(p + exp - 23, -149); shifting |sum| * 2^24 right by s = max(p, -126 - exp) leaves the
  // 24-bit significand above a guard bit, the rest is sticky.
  logic [31:0] blk;      // the block rounded to FP32
  logic blk_inf;
  always_comb begin
    int e, p, s, ebase;
    logic neg;
    logic [SUM_W-1:0] mag;
    logic [XW-1:0] x;
    logic [24:0] y;
    logic sticky, up;
    logic [24:0] sig;
    logic [33:0] bits;
    e   = ULP + $signed(32'(a_scale_q)) + $signed(32'(w_scale_q)) - 254;
    neg = sum_q[SUM_W-1];
    mag = neg ? -sum_q : sum_q;
    p   = 0;
    for (int i = 0; i < SUM_W; i++) if (mag[i]) p = i;
    s = p > -126 - e ? p : -126 - e;
    if (s > XW) s = XW;
    x      = {mag, 24'd0};
    y      = 25'(x >> s);
    sticky = |(x & ~({XW{1'b1}} << s));
    up     = y[0] & (sticky | y[1]);
    sig    = {1'b0, y[24:1]} + 25'(up);
    ebase  = p + e + 126;
    if (ebase < 0) ebase = 0;
    // Exponent field and significand add: a carry out of the significand (or a subnormal that
    // rounds up to 2^23) bumps the exponent for free.
    bits    = (34'(ebase) << 23) + 34'(sig);
    blk_inf = mag != '0 && bits >= 34'h7F80_0000;
    if (mag == '0) blk = 32'd0;
    else if (blk_inf) blk = {neg, 31'h7F80_0000};
    else blk = {neg, bits[30:0]};
  end

  // FP32 add acc + blk (both finite), RNE: align the smaller operand with guard, round and
  // sticky bits, add or subtract, normalize (not below the subnormal exponent), round.
  logic [31:0] sum32;
  always_comb begin
    logic [31:0] b, t;
    int eb, et, d, lz, sh, er;
    logic [23:0] sb, st;
    logic [26:0] ts, tsh;
    logic stk, g, rs, up;
    logic [27:0] r;
    logic [26:0] r2;
    logic [24:0] sig;
    logic [33:0] bits;
    if (blk[30:0] > acc_in_q[30:0]) begin
      b = blk;
      t = acc_in_q;
    end else begin
      b = acc_in_q;
      t = blk;
    end
    eb  = b[30:23] == 0 ? 1 : $signed(32'(b[30:23]));
    et  = t[30:23] == 0 ? 1 : $signed(32'(t[30:23]));
    sb  = {b[30:23] != 0, b[22:0]};
    st  = {t[30:23] != 0, t[22:0]};
    d   = eb - et;
    ts  = {st, 3'b000};
    tsh = ts >> d;
    stk = |(ts & ~({27{1'b1}} << d));
`ifdef MPSIM_MUTANT
    // Planted bug for the co-simulation's mutation check: the bits shifted out of the smaller
    // operand are dropped instead of kept as a sticky bit.
    stk = 1'b0;
`endif
    tsh[0] = tsh[0] | stk;
    r = b[31] != t[31] ? {1'b0, sb, 3'b000} - {1'b0, tsh} : {1'b0, sb, 3'b000} + {1'b0, tsh};
    lz = 27;
    sh = 0;
    if (r[27]) begin
      r2 = {r[27:2], r[1] | r[0]};
      er = eb + 1;
    end else begin
      for (int i = 0; i < 27; i++) if (r[i]) lz = 26 - i;
      sh = lz < eb - 1 ? lz : eb - 1;
      r2 = r[26:0] << sh;
      er = eb - sh;
    end
    g    = r2[2];
    rs   = r2[1] | r2[0];
    up   = g & (rs | r2[3]);
    sig  = {1'b0, r2[26:3]} + 25'(up);
    bits = (34'(er) << 23) + 34'(sig) - 34'h80_0000;
    if (r == '0) sum32 = {b[31] & t[31], 31'd0};
    else if (bits >= 34'h7F80_0000) sum32 = {b[31], 31'h7F80_0000};
    else sum32 = {b[31], bits[30:0]};
  end

  // BlockFpFamily::accumulate: a decided accumulator stays; a NaN block gives the default NaN; an
  // infinite block ends the dot with block + acc (Inf - Inf = x86's default NaN, a NaN acc is
  // quieted); otherwise the FP32 sum (a NaN acc is quieted, an infinite one stays).
  logic [31:0] res;
  logic res_final;
  logic acc_nan, acc_inf;
  assign acc_nan = acc_in_q[30:23] == 8'hFF && acc_in_q[22:0] != 0;
  assign acc_inf = acc_in_q[30:23] == 8'hFF && acc_in_q[22:0] == 0;
  always_comb begin
    res_final = 1'b1;
    if (acc_final_q) res = acc_in_q;
    else if (a_nan_q || w_nan_q || a_scale_q == 8'hFF || w_scale_q == 8'hFF) res = 32'h7FC0_0000;
    else if (acc_nan) begin
      res = acc_in_q | 32'h0040_0000;
      res_final = blk_inf;
    end else if (blk_inf) res = acc_inf && acc_in_q[31] != blk[31] ? 32'hFFC0_0000 : blk;
    else begin
      res = acc_inf ? acc_in_q : sum32;
      res_final = 1'b0;
    end
  end

  assign ready = !busy_q;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      w_q           <= '0;
      w_scale_q     <= '0;
      a_scale_q     <= '0;
      len_q         <= '0;
      acc_in_q      <= '0;
      acc_final_q   <= 1'b0;
      cnt_q         <= '0;
      busy_q        <= 1'b0;
      sum_q         <= '0;
      a_nan_q       <= 1'b0;
      w_nan_q       <= 1'b0;
      close_q       <= 1'b0;
      out_valid     <= 1'b0;
      acc_out       <= '0;
      acc_final_out <= 1'b0;
    end else begin
      if (w_load && !busy_q && !start) begin
        w_q       <= w_codes;
        w_scale_q <= w_scale;
      end
      if (start) begin
        a_scale_q   <= a_scale;
        len_q       <= len;
        acc_in_q    <= acc_in;
        acc_final_q <= acc_final_in;
      end
      if (step) begin
        sum_q   <= sum_d;
        a_nan_q <= a_nan_d;
        w_nan_q <= w_nan_d;
        cnt_q   <= base + CNT_W'(LANES);
        busy_q  <= !last;
      end
      close_q   <= step && last;
      out_valid <= close_q;
      if (close_q) begin
        acc_out       <= res;
        acc_final_out <= res_final;
      end
    end
  end
endmodule
