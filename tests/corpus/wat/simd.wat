;; SIMD (0xfd prefix): loads/stores incl. lane and splat/zero/extend forms, constants, shuffles,
;; lane access, integer and float arithmetic, comparisons, conversions; plus relaxed SIMD.
;; @run lanes => 10
;; @run arith => 4611686018427387923
;; @run memory_ops => 33818662
;; @run relaxed => 28
(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10")
  (func (export "lanes") (result i32)
    v128.const i32x4 1 2 3 4
    i32x4.extract_lane 0
    v128.const i32x4 1 2 3 4
    i32x4.extract_lane 3
    i32.add
    v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
    v128.const i8x16 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    i8x16.shuffle 31 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14
    i8x16.extract_lane_u 0
    i32.const 26
    i32.sub
    i32.add)
  (func (export "arith") (result i64)
    v128.const i64x2 1 2
    v128.const i64x2 3 4
    i64x2.add
    i64x2.extract_lane 1
    i32.const 7
    i32x4.splat
    i32.const 9
    i32x4.replace_lane 2
    v128.const i32x4 1 1 1 1
    i32x4.mul
    i32x4.extract_lane 2
    i64.extend_i32_u
    i64.add
    f64.const 2
    f64x2.splat
    f64x2.sqrt
    v128.const f64x2 2 2
    f64x2.mul
    f64x2.extract_lane 0
    f64.nearest
    i64.trunc_f64_s
    i64.add
    v128.const f32x4 1 2 3 4
    v128.const f32x4 4 3 2 1
    f32x4.lt
    v128.any_true
    i64.extend_i32_u
    i64.add
    v128.const i16x8 -1 2 -3 4 -5 6 -7 8
    i16x8.abs
    v128.const i16x8 1 1 1 1 1 1 1 1
    i16x8.add_sat_s
    i16x8.bitmask
    i64.extend_i32_u
    i64.add
    v128.const i32x4 0 0x40000000 0 0
    i64x2.extract_lane 0
    i64.add)
  (func (export "memory_ops") (result i32)
    (local $v v128)
    i32.const 0 v128.load
    i32.const 0 v128.load offset=1 align=1
    i8x16.add
    local.set $v
    i32.const 32 local.get $v v128.store
    i32.const 32 i32.load8_u
    i32.const 0 v128.load8_splat i8x16.extract_lane_u 5 i32.add
    i32.const 0 v128.load16_splat i16x8.extract_lane_u 1 i32.add
    i32.const 0 v128.load32_splat i32x4.extract_lane 3 i32.const 16777215 i32.and i32.add
    i32.const 0 v128.load64_splat i64x2.extract_lane 1 i32.wrap_i64 i32.const 255 i32.and i32.add
    i32.const 4 v128.load32_zero i32x4.extract_lane 1 i32.add
    i32.const 4 v128.load64_zero i64x2.extract_lane 1 i32.wrap_i64 i32.add
    i32.const 0 v128.load8x8_s i16x8.extract_lane_s 7 i32.add
    i32.const 0 v128.load8x8_u i16x8.extract_lane_u 6 i32.add
    i32.const 0 v128.load16x4_s i32x4.extract_lane 1 i32.const 0xffff i32.and i32.add
    i32.const 0 v128.load16x4_u i32x4.extract_lane 0 i32.const 0xff i32.and i32.add
    i32.const 0 v128.load32x2_s i64x2.extract_lane 0 i32.wrap_i64 i32.const 0xff i32.and i32.add
    i32.const 0 v128.load32x2_u i64x2.extract_lane 1 i32.wrap_i64 i32.const 0xff i32.and i32.add
    i32.const 0 local.get $v v128.load8_lane 3 local.set $v
    i32.const 0 local.get $v v128.load16_lane 1 local.set $v
    i32.const 0 local.get $v v128.load32_lane 2 local.set $v
    i32.const 0 local.get $v v128.load64_lane 1 local.set $v
    i32.const 48 local.get $v v128.store8_lane 0
    i32.const 50 local.get $v v128.store16_lane 1
    i32.const 52 local.get $v v128.store32_lane 2
    i32.const 56 local.get $v v128.store64_lane 1
    i32.const 48 i32.load i32.add
    i32.const 56 i32.load8_u i32.add
    local.get $v local.get $v v128.and local.get $v v128.not v128.or
    local.get $v v128.xor local.get $v local.get $v local.get $v v128.bitselect
    v128.andnot i8x16.all_true i32.add
    v128.const i16x8 1 2 3 4 5 6 7 8 i32x4.extend_low_i16x8_s
    v128.const i32x4 1 1 1 1 i32x4.dot_i16x8_s drop
    v128.const i32x4 1 2 3 4 f32x4.convert_i32x4_s i32x4.trunc_sat_f32x4_s
    i8x16.popcnt i32x4.extract_lane 3 i32.add
    i32.const 0x10000 i32.const 0x5e i32.add i32.const 0xffff i32.and i32.const 0x5e i32.sub
    i32.add)
  (func (export "relaxed") (result i32)
    v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
    v128.const i8x16 3 2 1 0 3 2 1 0 3 2 1 0 3 2 1 0
    i8x16.relaxed_swizzle
    i8x16.extract_lane_u 0
    v128.const f32x4 1 2 3 4
    v128.const f32x4 2 2 2 2
    v128.const f32x4 1 1 1 1
    f32x4.relaxed_madd
    f32x4.extract_lane 3
    i32.trunc_f32_s
    i32.add
    v128.const f32x4 5 1 5 1
    v128.const f32x4 3 3 3 3
    f32x4.relaxed_min
    f32x4.extract_lane 0
    i32.trunc_f32_s
    i32.add
    v128.const i32x4 1 2 3 4
    v128.const i32x4 5 6 7 8
    v128.const i32x4 -1 0 -1 0
    i32x4.relaxed_laneselect
    i32x4.extract_lane 0
    i32.add
    v128.const f32x4 2.5 2.5 2.5 2.5
    i32x4.relaxed_trunc_f32x4_s
    i32x4.extract_lane 1
    i32.add
    v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
    v128.const i8x16 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2
    i16x8.relaxed_dot_i8x16_i7x16_s
    i16x8.extract_lane_s 0
    i32.add
    v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
    v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
    v128.const i32x4 1 1 1 1
    i32x4.relaxed_dot_i8x16_i7x16_add_s
    i32x4.extract_lane 0
    i32.add
    v128.const i16x8 16384 0 0 0 0 0 0 0
    v128.const i16x8 16384 0 0 0 0 0 0 0
    i16x8.relaxed_q15mulr_s
    i16x8.extract_lane_s 0
    i32.const 8192
    i32.eq
    i32.add)
)
