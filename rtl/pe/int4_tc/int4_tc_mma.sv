// DESCRIPTION: One MMA unit of the int4_tc family (tensor-core-like): a FRAG_M x FRAG_N fragment of
// INT32 accumulators fed one FRAG_K chunk of A and W codes at a time. Each cycle multiplies one
// k-slice of the chunk for the whole fragment: fused whole products (INT8 MMAs as Bit Fusion
// does), INT4 passes on x = 16*hi + lo, or bipolar bit-plane passes (XOR + popcount). Then the
// accumulator pipeline drains and the fragment is written back one row per cycle. The register
// level behaviour of sim/pe/int4_tc's MmaUnit::step().
// SPDX-License-Identifier: Apache-2.0
module int4_tc_mma #(
    parameter int FRAG_M   = 16,    // fragment rows (A rows)
    parameter int FRAG_N   = 8,     // fragment columns (W columns)
    parameter int FRAG_K   = 64,    // chunk depth (K elements per MMA)
    parameter int CPM      = 2,     // cycles per MMA (per pass)
    parameter int LATENCY  = 4,     // accumulator pipeline drained after the last MMA
    parameter int MODE     = 0,     // 0: intN/uintN integers, 1: bipolar_intN bit planes
    parameter int A_BITS   = 4,     // A element code width (bit planes in mode 1)
    parameter int W_BITS   = 4,     // W element code width (bit planes in mode 1)
    parameter int A_SIGNED = 1,     // mode 0: A codes are two's complement (else unsigned)
    parameter int W_SIGNED = 1,
    parameter int FUSED    = 1,     // mode 0: whole products per MMA (else one pass per nibble pair)
    parameter int KW       = 16     // width of fold_k
) (
    input  logic                            clk,
    input  logic                            rst_n,
    // Starts a fold of fold_k (>= 1) K elements while idle; its first chunk comes with it.
    input  logic                            start,
    input  logic                            first_k,    // the fold's accumulators start from 0
    input  logic [KW-1:0]                   fold_k,
    // One chunk: element (m, k) of A at bit (m*FRAG_K + k)*A_BITS, (n, k) of W likewise. Taken
    // with start and on every cycle chunk_req is high; elements past the fold's K are ignored.
    input  logic [FRAG_M*FRAG_K*A_BITS-1:0] a_chunk,
    input  logic [FRAG_N*FRAG_K*W_BITS-1:0] w_chunk,
    output logic                            busy,       // a fold is in flight
    output logic                            chunk_req,  // the next cycle takes a new chunk
    output logic                            out_valid,  // a fragment row is written back
    output logic [$clog2(FRAG_M+1)-1:0]     out_row,
    output logic [FRAG_N*32-1:0]            out_data    // column n at bits n*32 (INT32)
);
  function automatic integer max3(input integer a, input integer b, input integer c);
    max3 = a > b ? (a > c ? a : c) : (b > c ? b : c);
  endfunction

  localparam bit BITPLANE = MODE == 1;
  localparam bit AS = A_SIGNED != 0;
  localparam bit WS = W_SIGNED != 0;
  localparam bit A_SPLIT = !BITPLANE && A_BITS > 4;
  localparam bit W_SPLIT = !BITPLANE && W_BITS > 4;
  // Passes run A-part major, W-part minor (lo x lo, lo x hi, hi x lo, hi x hi; planes i, j).
  localparam int A_PARTS = BITPLANE ? A_BITS : (A_SPLIT ? 2 : 1);
  localparam int W_PARTS = BITPLANE ? W_BITS : (W_SPLIT ? 2 : 1);
  localparam int NP = A_PARTS * W_PARTS;
  localparam bit IS_FUSED = !BITPLANE && FUSED != 0;
  // A fused MMA spreads its chunk over all the passes' cycles; a pass covers it in CPM cycles.
  localparam int IC = IS_FUSED ? NP * CPM : CPM;
  localparam int SPAN = (FRAG_K + IC - 1) / IC;
  localparam int DRAIN = LATENCY;
  localparam int CW = $clog2(max3(IC, DRAIN, FRAG_M) + 1);
  localparam int RW = $clog2(FRAG_M + 1);
  localparam int PCW = $clog2(max3(A_PARTS, W_PARTS, 2));
  // Operand values: whole elements (one extra bit holds an unsigned one), 5-bit parts or plane bits.
  localparam int AOW = BITPLANE ? 1 : IS_FUSED ? A_BITS + 1 : 5;
  localparam int WOW = BITPLANE ? 1 : IS_FUSED ? W_BITS + 1 : 5;
  localparam int PW = AOW + WOW;
  // Slice dots and pass partials are exact (|partial| <= FRAG_K * 225 for u4 x u4, FRAG_K for
  // bit planes); only the accumulator is 32 bits wide and wraps.
  localparam int DW = PW + $clog2(SPAN + 1) + 1;
  localparam int SW = PW + $clog2(FRAG_K + 1) + 1;
  localparam int LW = $clog2(FRAG_K + 1);

  typedef enum logic [1:0] {
    IDLE,
    ISSUE,
    DRAIN_ST,
    WB
  } phase_t;

  phase_t phase;
  logic [CW-1:0] cyc;  // cycle within the issue, drain or write-back
  logic [PCW-1:0] pa, pw;  // the pass: A part (nibble or plane) and W part
  logic [KW-1:0] k_left;  // fold elements not yet fetched
  logic [LW-1:0] k_len;  // valid elements of the current chunk
  logic [FRAG_M*FRAG_K*A_BITS-1:0] a_q;
  logic [FRAG_N*FRAG_K*W_BITS-1:0] w_q;

  // ---- this cycle's work (start acts at once, like the model's load() followed by step())
  logic go, working, fetch;
  logic [CW-1:0] cur_cyc;
  logic [PCW-1:0] cur_pa, cur_pw;
  logic [KW-1:0] rem_in, left_now;
  logic [LW-1:0] len_now;
  logic last_cycle, last_pass;
  logic [FRAG_M*FRAG_K*A_BITS-1:0] a_cur;
  logic [FRAG_N*FRAG_K*W_BITS-1:0] w_cur;

  assign go = phase == IDLE && start;
  assign working = go || phase == ISSUE;
  assign chunk_req = phase == ISSUE && cyc == '0 && pa == '0 && pw == '0;
  assign fetch = go || chunk_req;
  assign cur_cyc = go ? '0 : cyc;
  assign cur_pa = go ? '0 : pa;
  assign cur_pw = go ? '0 : pw;
  assign rem_in = go ? fold_k : k_left;
  assign len_now = !fetch ? k_len : rem_in > KW'(FRAG_K) ? LW'(FRAG_K) : LW'(rem_in);
  assign left_now = fetch ? rem_in - KW'(len_now) : k_left;
  assign last_cycle = cur_cyc == CW'(IC - 1);
  assign last_pass = IS_FUSED || (cur_pa == PCW'(A_PARTS - 1) && cur_pw == PCW'(W_PARTS - 1));
  assign a_cur = fetch ? a_chunk : a_q;
  assign w_cur = fetch ? w_chunk : w_q;
  assign busy = phase != IDLE;

  // ---- the k-slice: element s of this cycle is k = cur_cyc*SPAN + s, valid below the chunk length
  logic [SPAN-1:0] valid;
  logic [LW:0] n_valid;  // bit planes: +-1 products of the slice
  always_comb begin
    n_valid = '0;
    for (int s = 0; s < SPAN; s++) begin
      valid[s] = 32'(cur_cyc) * SPAN + s < 32'(len_now);
      n_valid = n_valid + (LW + 1)'(valid[s]);
    end
  end

  // Operand values of the slice, once per A row / W column (shared by the fragment).
  logic [FRAG_M*SPAN*AOW-1:0] a_ops;
  logic [FRAG_N*SPAN*WOW-1:0] w_ops;
  for (genvar m = 0; m < FRAG_M; m++) begin : g_a
    for (genvar s = 0; s < SPAN; s++) begin : g_s
      logic [IC*A_BITS-1:0] cand;
      logic [A_BITS-1:0] code;
      for (genvar c = 0; c < IC; c++) begin : g_c
        if (c * SPAN + s < FRAG_K) begin : g_in
          assign cand[c*A_BITS+:A_BITS] = a_cur[(m*FRAG_K+c*SPAN+s)*A_BITS+:A_BITS];
        end else begin : g_pad
          assign cand[c*A_BITS+:A_BITS] = '0;
        end
      end
      assign code = cand[32'(cur_cyc)*A_BITS+:A_BITS];
      assign a_ops[(m*SPAN+s)*AOW+:AOW] = valid[s] ? operand_a(code, cur_pa) : '0;
    end
  end
  for (genvar n = 0; n < FRAG_N; n++) begin : g_w
    for (genvar s = 0; s < SPAN; s++) begin : g_s
      logic [IC*W_BITS-1:0] cand;
      logic [W_BITS-1:0] code;
      for (genvar c = 0; c < IC; c++) begin : g_c
        if (c * SPAN + s < FRAG_K) begin : g_in
          assign cand[c*W_BITS+:W_BITS] = w_cur[(n*FRAG_K+c*SPAN+s)*W_BITS+:W_BITS];
        end else begin : g_pad
          assign cand[c*W_BITS+:W_BITS] = '0;
        end
      end
      assign code = cand[32'(cur_cyc)*W_BITS+:W_BITS];
      assign w_ops[(n*SPAN+s)*WOW+:WOW] = valid[s] ? operand_w(code, cur_pw) : '0;
    end
  end

  // The value an element contributes in pass part `p`: its whole value (fused), its lo nibble
  // (u4) or hi nibble (s4 when signed, u4 when not), or, for bit planes, bit p of the code.
  function automatic logic [AOW-1:0] operand_a(logic [A_BITS-1:0] code, logic [PCW-1:0] p);
    if (BITPLANE) operand_a = AOW'({code >> p});
    else if (IS_FUSED) operand_a = AS ? AOW'($signed(code)) : AOW'(code);
    else operand_a = AOW'(nibble(AS ? 8'($signed(code)) : 8'(code), A_SPLIT, p == '0, AS));
  endfunction
  function automatic logic [WOW-1:0] operand_w(logic [W_BITS-1:0] code, logic [PCW-1:0] p);
    if (BITPLANE) operand_w = WOW'({code >> p});
    else if (IS_FUSED) operand_w = WS ? WOW'($signed(code)) : WOW'(code);
    else operand_w = WOW'(nibble(WS ? 8'($signed(code)) : 8'(code), W_SPLIT, p == '0, WS));
  endfunction
  // A pass operand of an element x (8 bits, sign- or zero-extended): x itself when it is not
  // split (<= 4 bits), else lo = x & 15 (always u4) or hi = x >> 4 (s4 when signed, else u4).
  function automatic logic [4:0] nibble(logic [7:0] x, logic split, logic lo, logic sgn);
    if (!split) nibble = x[4:0];
`ifdef MPSIM_MUTANT
    // Planted bug for the co-simulation's mutation check: the lo nibble is taken as signed.
    else if (lo) nibble = {x[3], x[3:0]};
`else
    else if (lo) nibble = {1'b0, x[3:0]};
`endif
    else nibble = {sgn & x[7], x[7:4]};
  endfunction

  // ---- per output: the slice dot, the pass partial and the INT32 accumulator
  logic [FRAG_M*FRAG_N*32-1:0] acc_all;
  for (genvar m = 0; m < FRAG_M; m++) begin : g_m
    for (genvar n = 0; n < FRAG_N; n++) begin : g_n
      logic signed [DW-1:0] dot;
      logic [31:0] acc_q, acc_base;
      if (BITPLANE) begin : g_b1
        // +-1 planes: matches minus mismatches = n_valid - 2*popcount(a ^ w) (masked).
        logic [LW:0] diff;
        always_comb begin
          diff = '0;
          for (int s = 0; s < SPAN; s++)
            diff = diff + (LW + 1)'({a_ops[m*SPAN+s] ^ w_ops[n*SPAN+s]});
          dot = DW'($signed({1'b0, n_valid})) - DW'($signed({1'b0, diff, 1'b0}));
        end
      end else begin : g_int
        logic signed [PW-1:0] p;
        always_comb begin
          dot = '0;
          for (int s = 0; s < SPAN; s++) begin
            p = PW'($signed(a_ops[(m*SPAN+s)*AOW+:AOW])) * PW'($signed(w_ops[(n*SPAN+s)*WOW+:WOW]));
            dot = dot + DW'(p);
          end
        end
      end
      assign acc_base = go && first_k ? '0 : acc_q;
      if (IS_FUSED) begin : g_fused
        // Whole products join the INT32 chain every cycle (two's complement wrap).
        always_ff @(posedge clk) begin
          if (!rst_n) acc_q <= '0;
          else if (working) acc_q <= acc_base + 32'(dot);
        end
      end else begin : g_pass
        // Slices collect in the exact partial; the pass's last cycle adds partial << shift.
        logic signed [SW-1:0] part_q, part_sum;
        logic [4:0] shift;
        assign part_sum = part_q + SW'(dot);
        // Pass (i, j) weighs 2^(i+j) for bit planes, 16^(i+j) for nibbles.
        assign shift = 5'((32'(cur_pa) + 32'(cur_pw)) * (BITPLANE ? 1 : 4));
        always_ff @(posedge clk) begin
          if (!rst_n) begin
            acc_q  <= '0;
            part_q <= '0;
          end else if (working) begin
            if (last_cycle) begin
              acc_q  <= acc_base + (32'(part_sum) << shift);
              part_q <= '0;
            end else begin
              acc_q  <= acc_base;
              part_q <= part_sum;
            end
          end
        end
      end
      assign acc_all[(m*FRAG_N+n)*32+:32] = acc_q;
    end
  end

  // ---- sequencing: issues (chunks x passes), drain, write-back
  // The fragment registers hold operands only: no reset (the fold's first chunk comes with start).
  always_ff @(posedge clk) begin
    if (fetch) begin
      a_q <= a_chunk;
      w_q <= w_chunk;
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      phase     <= IDLE;
      cyc       <= '0;
      pa        <= '0;
      pw        <= '0;
      k_left    <= '0;
      k_len     <= '0;
      out_valid <= 1'b0;
      out_row   <= '0;
      out_data  <= '0;
    end else begin
      out_valid <= 1'b0;
      if (fetch) begin
        k_len  <= len_now;
        k_left <= left_now;
      end
      if (working) begin
        phase <= ISSUE;
        if (!last_cycle) begin
          cyc <= cur_cyc + 1'b1;
          pa  <= cur_pa;
          pw  <= cur_pw;
        end else begin
          cyc <= '0;
          if (!last_pass) begin
            pw <= cur_pw == PCW'(W_PARTS - 1) ? '0 : cur_pw + 1'b1;
            pa <= cur_pw == PCW'(W_PARTS - 1) ? cur_pa + 1'b1 : cur_pa;
          end else begin
            pa <= '0;
            pw <= '0;
            if (left_now == '0) phase <= DRAIN_ST;
          end
        end
      end else if (phase == DRAIN_ST) begin
        if (cyc == CW'(DRAIN - 1)) begin
          phase <= WB;
          cyc   <= '0;
        end else begin
          cyc <= cyc + 1'b1;
        end
      end else if (phase == WB) begin
        out_valid <= 1'b1;
        out_row   <= RW'(cyc);
        out_data  <= acc_all[32'(cyc)*FRAG_N*32+:FRAG_N*32];
        if (cyc == CW'(FRAG_M - 1)) begin
          phase <= IDLE;
          cyc   <= '0;
        end else begin
          cyc <= cyc + 1'b1;
        end
      end
    end
  end
endmodule
