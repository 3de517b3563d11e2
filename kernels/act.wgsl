// act.wgsl: adaptive computation time (ACT) bookkeeping of HRM's ACT wrapper
// (models/hrm/hrm_act_v1.py HierarchicalReasoningModel_ACTV1.forward, models/losses.py ACTLossHead),
// kept on the GPU so a training step needs no readback. Flags are u32 0/1.
//
// act_reset:   z_H[b, :], z_L[b, :] = H_init, L_init where halted[b]   (init [D] or [T*D], repeated)
// act_refill:  where halted[b], the row's inputs, labels and puzzle id from the incoming batch
//              and steps[b] = 0.
// act_halt:    steps += 1; is_last = steps >= halt_max_steps; halted = is_last, and in training
//              (halt_max_steps > 1) halted = (is_last | q_halt > q_continue) & steps >= min_steps
//              (with no_act_continue, TRM's rule: q_halt > 0 instead of q_halt > q_continue).
// act_target:  target_q_continue = sigmoid(is_last ? next_q_halt : max(next_q_halt, next_q_continue))
// act_metrics: one workgroup adds this segment's sums to acc[0..7]:
//              count, accuracy, exact_accuracy, q_halt_accuracy, steps, lm_loss, q_halt_loss,
//              q_continue_loss — counted over rows that halted now and have a valid label.
override WG: u32 = 256;

struct RowParams { rows: u32, row: u32 }
struct HaltParams { rows: u32, halt_max_steps: u32, training: u32, no_act_continue: u32 }

// ---- act_reset ----
@group(0) @binding(0) var<storage, read> r_halted: array<u32>;
@group(0) @binding(1) var<storage, read> r_h_init: array<f32>;
@group(0) @binding(2) var<storage, read> r_l_init: array<f32>;
@group(0) @binding(3) var<storage, read_write> r_z_h: array<f32>;
@group(0) @binding(4) var<storage, read_write> r_z_l: array<f32>;
@group(0) @binding(5) var<uniform> r_p: RowParams; // rows = B, row = T*D; the inits repeat

@compute @workgroup_size(WG)
fn act_reset(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * WG;
  if (k >= r_p.rows * r_p.row) { return; }
  if (r_halted[k / r_p.row] != 0u) {
    let j = k % r_p.row;
    r_z_h[k] = r_h_init[j % arrayLength(&r_h_init)];
    r_z_l[k] = r_l_init[j % arrayLength(&r_l_init)];
  }
}

// ---- act_refill ----
// 32-bit words: inputs and labels [B, row], puzzle ids [B]; steps [B] restarts at 0.
@group(0) @binding(0) var<storage, read> f_halted: array<u32>;
@group(0) @binding(1) var<storage, read> f_next_inputs: array<u32>;
@group(0) @binding(2) var<storage, read_write> f_inputs: array<u32>;
@group(0) @binding(3) var<storage, read> f_next_labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> f_labels: array<u32>;
@group(0) @binding(5) var<storage, read> f_next_ids: array<u32>;
@group(0) @binding(6) var<storage, read_write> f_ids: array<u32>;
@group(0) @binding(7) var<storage, read_write> f_steps: array<u32>;
@group(0) @binding(8) var<uniform> f_p: RowParams; // rows = B, row = S

@compute @workgroup_size(WG)
fn act_refill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = gid.x + gid.y * nwg.x * WG;
  if (k >= f_p.rows * f_p.row) { return; }
  let b = k / f_p.row;
  if (f_halted[b] == 0u) { return; }
  f_inputs[k] = f_next_inputs[k];
  f_labels[k] = f_next_labels[k];
  if (k % f_p.row == 0u) {
    f_ids[b] = f_next_ids[b];
    f_steps[b] = 0u;
  }
}

// ---- act_halt ----
@group(0) @binding(0) var<storage, read> h_q_halt: array<f32>;
@group(0) @binding(1) var<storage, read> h_q_continue: array<f32>;
@group(0) @binding(2) var<storage, read> h_min_steps: array<u32>;
@group(0) @binding(3) var<storage, read_write> h_steps: array<u32>;
@group(0) @binding(4) var<storage, read_write> h_halted: array<u32>;
@group(0) @binding(5) var<storage, read_write> h_is_last: array<u32>;
@group(0) @binding(6) var<uniform> h_p: HaltParams;

@compute @workgroup_size(WG)
fn act_halt(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= h_p.rows) { return; }
  let steps = h_steps[b] + 1u;
  h_steps[b] = steps;
  let is_last = steps >= h_p.halt_max_steps;
  var halted = is_last;
  if (h_p.training != 0u && h_p.halt_max_steps > 1u) {
    let rival = select(h_q_continue[b], 0.0, h_p.no_act_continue != 0u);
    halted = (halted || (h_q_halt[b] > rival)) && (steps >= h_min_steps[b]);
  }
  h_halted[b] = select(0u, 1u, halted);
  h_is_last[b] = select(0u, 1u, is_last);
}

// ---- act_target ----
@group(0) @binding(0) var<storage, read> t_next_q_halt: array<f32>;
@group(0) @binding(1) var<storage, read> t_next_q_continue: array<f32>;
@group(0) @binding(2) var<storage, read> t_is_last: array<u32>;
@group(0) @binding(3) var<storage, read_write> t_target: array<f32>;
@group(0) @binding(4) var<uniform> t_p: RowParams;

@compute @workgroup_size(WG)
fn act_target(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= t_p.rows) { return; }
  var x = t_next_q_halt[b];
  if (t_is_last[b] == 0u) { x = max(x, t_next_q_continue[b]); }
  t_target[b] = 1.0 / (1.0 + exp(-x));
}

// ---- act_metrics ----
// rows: the loss pass's per-row results [6, B] (lib/ops/losses.ts LOSS_ROWS): lm_loss, correct,
// valid, seq_correct, q_halt_loss, q_continue_loss.
@group(0) @binding(0) var<storage, read> m_halted: array<u32>;
@group(0) @binding(1) var<storage, read> m_steps: array<u32>;
@group(0) @binding(2) var<storage, read> m_rows: array<f32>;
@group(0) @binding(3) var<storage, read> m_q_halt: array<f32>;
@group(0) @binding(4) var<storage, read_write> m_acc: array<f32>;
@group(0) @binding(5) var<uniform> m_p: RowParams; // rows = B

var<workgroup> partial: array<array<f32, 8>, WG>;

@compute @workgroup_size(WG)
fn act_metrics(@builtin(local_invocation_id) lid: vec3<u32>) {
  var s: array<f32, 8>;
  let B = m_p.rows;
  for (var b = lid.x; b < B; b += WG) {
    let correct = m_rows[B + b];
    let n = m_rows[2u * B + b];
    let valid = m_halted[b] != 0u && n > 0.0;
    let seq_ok = m_rows[3u * B + b] > 0.5;
    if (valid) {
      s[0] += 1.0;
      s[1] += correct / max(n, 1.0);
      s[2] += select(0.0, 1.0, seq_ok);
      s[3] += select(0.0, 1.0, (m_q_halt[b] >= 0.0) == seq_ok);
      s[4] += f32(m_steps[b]);
    }
    s[5] += m_rows[b];
    s[6] += m_rows[4u * B + b];
    s[7] += m_rows[5u * B + b];
  }
  partial[lid.x] = s;
  workgroupBarrier();
  if (lid.x == 0u) {
    var t: array<f32, 8>;
    for (var i = 0u; i < WG; i++) {
      for (var j = 0u; j < 8u; j++) { t[j] += partial[i][j]; }
    }
    for (var j = 0u; j < 8u; j++) { m_acc[j] += t[j]; }
  }
}
