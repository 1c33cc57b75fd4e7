;; Sign extension (0xc0..0xc4) and non-trapping float-to-int conversions (0xfc 0..7).
;; @run ext8 255 => -1
;; @run ext16 32768 => -32768
;; @run ext64 => -1
;; @run sat_i32 => 2147483647
;; @run sat_u32 => 0
;; @run sat_all => 6
;; @run trapping => trap
(module
  (func (export "ext8") (param i32) (result i32) local.get 0 i32.extend8_s)
  (func (export "ext16") (param i32) (result i32) local.get 0 i32.extend16_s)
  (func (export "ext64") (result i64)
    i64.const 0xff
    i64.extend8_s
    i64.const 0xffff
    i64.extend16_s
    i64.and
    i64.const 0xffffffff
    i64.extend32_s
    i64.and)
  (func (export "sat_i32") (result i32) f32.const 1e30 i32.trunc_sat_f32_s)
  (func (export "sat_u32") (result i32) f64.const -5 i32.trunc_sat_f64_u)
  (func (export "sat_all") (result i32)
    f32.const 1.9 i32.trunc_sat_f32_u
    f64.const 2.5 i32.trunc_sat_f64_s
    i32.add
    f32.const nan i64.trunc_sat_f32_s
    f32.const 1 i64.trunc_sat_f32_u
    i64.add
    f64.const 1.5 i64.trunc_sat_f64_s
    i64.add
    f64.const 0 i64.trunc_sat_f64_u
    i64.add
    i32.wrap_i64
    i32.add
    i32.const 1
    i32.add)
  (func (export "trapping") (result i32) f32.const nan i32.trunc_f32_s)
)
