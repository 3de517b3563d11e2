// attention_rope.wgsl: RoPE for the flash attention kernels (attention.wgsl,
// attention_bwd_dq.wgsl, attention_bwd_dkv.wgsl), which lib/ops/attention.ts compiles with this
// file prepended: models/layers.py apply_rotary_pos_emb in its rotate-half form, applied to q and
// k as the forward loads them from the un-rotated qkv (it also stores them rotated, once per row,
// when the backward follows) and, transposed, to dq and dk as the backward stores them, instead of
// in a pass of its own. Value d of a head row pairs with d ± HD/2 (h = HD/2):
//   rotated:     y_d = x_d cos_d − x_{d+h} sin_d,  y_{d+h} = x_{d+h} cos_d + x_d sin_d
//   transposed:  the same with the signs of the sin terms flipped
// Binding 1: the table [>= T, HD], per position HD/2 cosines then HD/2 sines (any buffer when
// ROPE is false; the entry files bind everything else).
override ROPE: bool = false;

@group(0) @binding(1) var<storage, read> rope_t: array<f32>;

// The index of value d's partner in a head row of hd values.
fn rope_partner(d: u32, hd: u32) -> u32 {
  let h = hd / 2u;
  return select(d - h, d + h, d < h);
}

// Value d of a row of hd values at position t, rotated (dir 1) or transposed (dir −1), from the
// un-rotated value x and its partner's value xp; x itself when ROPE is off.
fn rope_at(x: f32, xp: f32, t: u32, d: u32, hd: u32, dir: f32) -> f32 {
  if (!ROPE) { return x; }
  let h = hd / 2u;
  let lo = d < h;
  let i = select(d - h, d, lo);
  let c = rope_t[t * hd + i];
  let s = rope_t[t * hd + h + i] * dir;
  return select(x * c + xp * s, x * c - xp * s, lo);
}
