// DESCRIPTION: BitMoD-style bit-serial PE of the bitserial family: the register-level behaviour of
// sim/pe/bitserial's Datapath. LANES activations sit in lane registers for one issue while the
// weights go through one signed power-of-two term per cycle (INT operands as radix-4 Booth digits,
// two bits a cycle; BitMoD FP4/FP3 codes as their at most two terms, larger first) into an exact
// group accumulator P (and, for zero-point INT groups, the activation sum A on the issue's first
// cycle). An issue that ends a group is dequantized one stage later: D = P - (z - 8) * A, times the
// FP16 scale's 11-bit integer significand (the serial multiplier unrolled MSB first), rounded once
// to FP32 (RNE) and added (RNE) into the FP32 total that came in with the issue.
// MODE 0: INT4 group (the reader's INT4 operand q ^ 8 = q - 8, zero point), 1: BitMoD FP4/FP3,
// 2: scalar intN (no scale; P wraps modulo 2^32 like golden::gemm's INT32 accumulator).
// SPDX-License-Identifier: Apache-2.0
module bitserial_pe #(
    parameter int LANES = 4,
    parameter int MODE  = 0,
    parameter int WBITS = 4,    // weight operand bits: 4 (INT group), 4/3 (BitMoD), 2..8 (scalar)
    parameter int ABITS = 8,    // activation bits
    parameter int GROUP = 128   // largest group the accumulators are sized for
) (
    input  logic                     clk,
    input  logic                     rst_n,
    // Issue: LANES activations and weight operands, the group's parameters and the incoming Acc.
    input  logic                     valid_in,   // taken when ready
    output logic                     ready,
    input  logic [LANES*ABITS-1:0]   a_in,
    input  logic [LANES*WBITS-1:0]   w_in,
    input  logic [1:0]               wtype_in,   // BitMoD datatype (ER+, ER-, EA+, EA-)
    input  logic signed [3:0]        zadj_in,    // z - 8
    input  logic                     ends_group_in,
    input  logic [15:0]              scale_in,   // FP16 group scale
    input  logic [31:0]              total_in,   // FP32 total of the groups done so far
    input  logic signed [31:0]       p_in,       // open group's sum of a * operand
    input  logic signed [31:0]       s_in,       // open group's sum of a
    // The serial accumulator while an issue is in flight (the Datapath's acc.p / acc.s).
    output logic                     busy,
    output logic signed [31:0]       p_acc,
    output logic signed [31:0]       s_acc,
    // The issue's Acc, one cycle after its last term (the dequantizer stage).
    output logic                     valid_out,
    output logic [31:0]              total_out,
    output logic signed [31:0]       p_out,
    output logic signed [31:0]       s_out
);
  localparam bit ZP = MODE == 0;       // zero-point correction and activation sum
  localparam bit DEQ = MODE != 2;      // group scale, FP32 total
  localparam int CPI = MODE == 1 ? 2 : (WBITS + 1) / 2;
  localparam int JW = CPI > 1 ? $clog2(CPI) : 1;
  localparam int GL = $clog2(GROUP);
  // Accumulator widths of the family's datasheet: |q - 8| <= 8 (INT), |term| <= 16 (BitMoD).
  localparam int PW = MODE == 2 ? 32 : (MODE == 0 ? ABITS + 4 + GL + 1 : ABITS + 5 + GL + 1);
  localparam int SW = ABITS + GL;
  localparam int SHMAX = MODE == 1 ? 4 : 2 * CPI - 1;
  localparam int PPW = ABITS + SHMAX + 1;  // one lane's shifted, possibly negated, activation
  localparam int DW = PW + 1;              // D = P - (z - 8) * A
  localparam int PRW = DW + 11;            // D times the 11-bit significand

  // ---- Stage 1: lane registers and the serial accumulator ----------------------------------
  logic [LANES*ABITS-1:0] a_q;
  logic [LANES*WBITS-1:0] w_q;
  logic [1:0] wtype_q;
  logic signed [3:0] zadj_q;
  logic eg_q;
  logic [15:0] scale_q;
  logic [31:0] total_q;
  logic signed [PW-1:0] p_q;
  logic signed [SW-1:0] s_q;
  logic [JW-1:0] j_q;
  logic busy_q;

  wire last = busy_q && 32'(j_q) == CPI - 1;
  assign ready = !busy_q || last;
  wire take = valid_in && ready;

  // Radix-4 Booth digit from (b(2j+1), b(2j), b(2j-1)): BitMoD's intbooth. Returns {nonzero,
  // negative, two} (two: the digit is +-2, a shift one further).
  function automatic logic [2:0] booth(input logic [2:0] t);
    case (t)
      3'b001, 3'b010: booth = 3'b100;
      3'b011: booth = 3'b101;
`ifdef MPSIM_MUTANT
      // Planted bug for the co-simulation's mutation check: -2 is walked as -1 (shift one short).
      3'b100: booth = 3'b110;
`else
      3'b100: booth = 3'b111;
`endif
      3'b101, 3'b110: booth = 3'b110;
      default: booth = 3'b000;
    endcase
  endfunction

  // BitMoD code -> sign and magnitude in the reference's x2 units (the special -0 code carries the
  // group datatype's special value).
  function automatic logic [5:0] bitmod_value(input logic [3:0] c, input logic [1:0] ty);
    logic [4:0] mag;
    logic neg;
    neg = WBITS == 4 ? c[3] : c[2];
    if (WBITS == 4) begin
      case (c[2:0])
        3'd0: mag = 5'd0;
        3'd1: mag = 5'd1;
        3'd2: mag = 5'd2;
        3'd3: mag = 5'd3;
        3'd4: mag = 5'd4;
        3'd5: mag = 5'd6;
        3'd6: mag = 5'd8;
        default: mag = 5'd12;
      endcase
      if (c[2:0] == 3'd0 && neg) begin
        mag = ty[1] ? 5'd16 : 5'd10;
        neg = ty[0];
      end
    end else begin
      case (c[1:0])
        2'd0: mag = 5'd0;
        2'd1: mag = 5'd1;
        2'd2: mag = 5'd2;
        default: mag = 5'd4;
      endcase
      if (c[1:0] == 2'd0 && neg) begin
        mag = ty[1] ? 5'd6 : 5'd3;
        neg = ty[0];
      end
    end
    bitmod_value = {neg, mag};
  endfunction

  // Leading-one position of a BitMoD magnitude (<= 16).
  function automatic logic [2:0] lod5(input logic [4:0] m);
    lod5 = 3'd0;
    for (int i = 1; i < 5; i++) if (m[i]) lod5 = 3'(i);
  endfunction

  logic signed [PW-1:0] pp_sum;
  logic signed [SW-1:0] a_sum;
  always_comb begin
    pp_sum = '0;
    a_sum = '0;
    for (int l = 0; l < LANES; l++) begin
      logic signed [ABITS-1:0] a;
      logic signed [PPW-1:0] sh;
      logic nz, neg;
      logic [2:0] shift;
      a = a_q[l*ABITS+:ABITS];
      nz = 1'b0;
      neg = 1'b0;
      shift = '0;
      if (MODE == 1) begin
        logic [5:0] v;
        logic [4:0] rest;
        logic [2:0] t0, t1;
        // The reader's leading-one detector emits the larger term first, the rest second.
        v = bitmod_value(4'(w_q[l*WBITS+:WBITS]), wtype_q);
        t0 = lod5(v[4:0]);
        rest = v[4:0] & ~(5'd1 << t0);
        t1 = lod5(rest);
        neg = v[5];
        nz = j_q == '0 ? v[4:0] != '0 : rest != '0;
        shift = j_q == '0 ? t0 : t1;
      end else begin
        logic [2*CPI:0] ext;
        logic [2:0] d;
        // The operand sign-extended to the digits' width, with b(-1) = 0 below it.
        ext = {(2 * CPI)'($signed(w_q[l*WBITS+:WBITS])), 1'b0};
        d = booth(ext[2*j_q+:3]);
        nz = d[2];
        neg = d[1];
        shift = 3'({j_q, 1'b0}) + 3'(d[0]);
      end
      sh = PPW'(a) <<< shift;
      if (nz) pp_sum = neg ? pp_sum - PW'(sh) : pp_sum + PW'(sh);
      a_sum = a_sum + SW'(a);
    end
  end

  // ---- Stage 2: the issue's sums waiting for the dequantizer ---------------------------------
  logic v2_q, eg2_q;
  logic signed [3:0] zadj2_q;
  logic [15:0] scale2_q;
  logic [31:0] total2_q;
  logic signed [PW-1:0] p2_q;
  logic signed [SW-1:0] s2_q;

  wire signed [PW-1:0] p_next = p_q + pp_sum;
  wire signed [SW-1:0] s_next = ZP && j_q == '0 ? s_q + a_sum : s_q;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      a_q <= '0;
      w_q <= '0;
      wtype_q <= '0;
      zadj_q <= '0;
      eg_q <= 1'b0;
      scale_q <= '0;
      total_q <= '0;
      p_q <= '0;
      s_q <= '0;
      j_q <= '0;
      busy_q <= 1'b0;
      v2_q <= 1'b0;
      eg2_q <= 1'b0;
      zadj2_q <= '0;
      scale2_q <= '0;
      total2_q <= '0;
      p2_q <= '0;
      s2_q <= '0;
    end else begin
      v2_q <= last;
      if (busy_q) begin
        p_q <= p_next;
        s_q <= s_next;
        j_q <= j_q + 1'b1;
        if (last) begin
          busy_q <= 1'b0;
          eg2_q <= eg_q;
          zadj2_q <= zadj_q;
          scale2_q <= scale_q;
          total2_q <= total_q;
          p2_q <= p_next;
          s2_q <= s_next;
        end
      end
      // A new issue loads in the edge that retires the previous one's last term.
      if (take) begin
        a_q <= a_in;
        w_q <= w_in;
        wtype_q <= wtype_in;
        zadj_q <= zadj_in;
        eg_q <= ends_group_in && DEQ;
        scale_q <= scale_in;
        total_q <= total_in;
        p_q <= p_in[PW-1:0];
        s_q <= ZP ? s_in[SW-1:0] : '0;
        j_q <= '0;
        busy_q <= 1'b1;
      end
    end
  end

  // ---- Dequantizer: D * significand, one rounding to FP32, FP32 add ------------------------
  function automatic logic [4:0] clz27(input logic [26:0] x);
    clz27 = 5'd27;
    for (int i = 0; i < 27; i++) if (x[i]) clz27 = 5'(26 - i);
  endfunction

  // IEEE binary32 addition, round to nearest even, gradual underflow, overflow to Inf; a NaN
  // result is the canonical quiet NaN. Guard/round/sticky alignment of the smaller operand.
  function automatic logic [31:0] fp32_add(input logic [31:0] x, input logic [31:0] y);
    logic x_nan, y_nan, x_inf, y_inf, sub, bs, sticky, up;
    logic [31:0] bg, sml;
    logic [23:0] bm, sm, mant;
    logic [8:0] eb, es, e, d;
    logic [26:0] bx, sx, sal, m;
    logic [27:0] sum;
    logic [24:0] mant25;
    logic [4:0] lz, shl;
    x_nan = x[30:23] == 8'hFF && x[22:0] != '0;
    y_nan = y[30:23] == 8'hFF && y[22:0] != '0;
    x_inf = x[30:23] == 8'hFF && x[22:0] == '0;
    y_inf = y[30:23] == 8'hFF && y[22:0] == '0;
    // Larger magnitude first: the fields compare as magnitudes, subnormals included.
    if (y[30:0] > x[30:0]) begin
      bg = y;
      sml = x;
    end else begin
      bg = x;
      sml = y;
    end
    bs = bg[31];
    sub = bg[31] != sml[31];
    bm = {bg[30:23] != '0, bg[22:0]};
    sm = {sml[30:23] != '0, sml[22:0]};
    eb = bg[30:23] != '0 ? {1'b0, bg[30:23]} : 9'd1;
    es = sml[30:23] != '0 ? {1'b0, sml[30:23]} : 9'd1;
    d = eb - es;
    bx = {bm, 3'b000};
    sx = {sm, 3'b000};
    if (d >= 9'd27) begin
      sal = '0;
      sticky = sm != '0;
    end else begin
      sal = sx >> d;
      sticky = (sx & ~(27'h7FFFFFF << d)) != '0;
    end
    sal[0] = sal[0] | sticky;
    sum = sub ? {1'b0, bx} - {1'b0, sal} : {1'b0, bx} + {1'b0, sal};
    e = eb;
    if (sum[27]) begin
      m = {sum[27:2], sum[1] | sum[0]};
      e = e + 9'd1;
    end else begin
      // Normalize left, but not below the smallest exponent (the result is then subnormal).
      lz = clz27(sum[26:0]);
      shl = {4'd0, lz} > (e - 9'd1) ? 5'(e - 9'd1) : lz;
      m = sum[26:0] << shl;
      e = e - {4'd0, shl};
    end
    up = m[2] && (m[1] || m[0] || m[3]);
    mant25 = {1'b0, m[26:3]} + {24'd0, up};
    if (mant25[24]) begin
      mant = mant25[24:1];
      e = e + 9'd1;
    end else begin
      mant = mant25[23:0];
    end
    if (x_nan || y_nan || (x_inf && y_inf && x[31] != y[31])) fp32_add = 32'h7FC00000;
    else if (x_inf) fp32_add = x;
    else if (y_inf) fp32_add = y;
    else if (sum == '0) fp32_add = {bs && !sub, 31'd0};  // x - x = +0; -0 + -0 = -0
    else if (e >= 9'd255) fp32_add = {bs, 8'hFF, 23'd0};
    else fp32_add = {bs, mant[23] ? e[7:0] : 8'd0, mant[22:0]};
  endfunction

  logic [31:0] total_next;
  logic signed [PW-1:0] p_done;
  logic signed [SW-1:0] s_done;
  if (DEQ) begin : g_deq
    logic signed [DW-1:0] dq;
    logic signed [PRW-1:0] prod;
    logic [PRW-1:0] mag;
    logic [10:0] sig;
    logic [4:0] se;
    logic [31:0] gv;
    logic [24:0] r;
    always_comb begin
      logic [7:0] w, ebias;
      logic [PRW-1:0] norm;
      logic [PRW+1:0] normp;
      logic g, st;
      se = scale2_q[14:10];
      sig = se != 5'd0 && se != 5'h1F ? {1'b1, scale2_q[9:0]} : (se == 5'd0 ? {1'b0, scale2_q[9:0]} : '0);
      dq = ZP ? DW'(p2_q) - DW'(zadj2_q) * DW'(s2_q) : DW'(p2_q);
      // BitMoD's dequant.v, unrolled: prod <- 2 * prod + (bit ? D : 0), MSB first.
      prod = '0;
      for (int b = 10; b >= 0; b--) prod = (prod <<< 1) + (sig[b] ? PRW'(dq) : '0);
      mag = prod[PRW-1] ? -prod : prod;
      // Leading one, then normalize so it sits at the top; 24 bits kept, guard and sticky below.
      w = '0;
      for (int i = 0; i < PRW; i++) if (mag[i]) w = 8'(i);
      norm = mag << (8'(PRW - 1) - w);
      normp = {norm, 2'b00};
      g = normp[PRW-23];
      st = normp[PRW-24:0] != '0;
      r = {1'b0, normp[PRW+1-:24]} + {24'd0, g && (st || normp[PRW-22])};
      // Unbiased exponent of the leading one: w + (scale exponent, 1 if subnormal) - 25; the result
      // is always normal for INT8 activations (2^-24 .. 2^40).
      ebias = w + {3'd0, se != 5'd0 ? se : 5'd1} + 8'd102 + {7'd0, r[24]};
      if (se == 5'h1F) begin
        gv = scale2_q[9:0] != '0 || dq == '0 ? 32'h7FC00000
                                              : {dq[DW-1] ^ scale2_q[15], 8'hFF, 23'd0};
      end else if (prod == '0) begin
        gv = '0;
      end else begin
        gv = {prod[PRW-1] ^ scale2_q[15], ebias, r[24] ? 23'd0 : r[22:0]};
      end
    end
    assign total_next = eg2_q ? fp32_add(total2_q, gv) : total2_q;
    wire unused_hidden = r[23];  // the rounded significand's hidden one
  end else begin : g_nodeq
    assign total_next = total2_q;
  end
  // A closed group leaves an empty accumulator for the next one.
  assign p_done = eg2_q ? '0 : p2_q;
  assign s_done = eg2_q ? '0 : s2_q;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      valid_out <= 1'b0;
      total_out <= '0;
      p_out <= '0;
      s_out <= '0;
    end else begin
      valid_out <= v2_q;
      if (v2_q) begin
        total_out <= total_next;
        p_out <= 32'(p_done);
        s_out <= 32'(s_done);
      end
    end
  end

  assign busy = busy_q;
  assign p_acc = 32'(p_q);
  assign s_acc = 32'(s_q);

  // Bits an instance of this MODE never reads (the upper bits of the 32-bit Acc ports, the other
  // modes' group parameters).
  wire unused_ok = ^{p_in, s_in, wtype_q, zadj_q, scale_q, total_q, zadj2_q, scale2_q, s_q};
endmodule
