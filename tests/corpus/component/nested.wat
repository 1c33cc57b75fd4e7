;; A component nesting another component, for `--module N` (ANALYSIS.md §6): core module 0 sits in the
;; outer component, core module 1 in the inner one; both are apps, so without --module the choice is
;; refused.  Built with `wasm-tools parse` (tests/corpus/Makefile); each exports a function `sum`.
(component
  (core module $outer
    (memory (export "memory") 1)
    (func (export "sum") (param i32) (result i32)
      (local i32)
      block
        loop
          local.get 0
          i32.eqz
          br_if 1
          local.get 1
          local.get 0
          i32.add
          local.set 1
          local.get 0
          i32.const 1
          i32.sub
          local.set 0
          br 0
        end
      end
      local.get 1))
  (component $inner
    (core module $inner
      (memory (export "memory") 1)
      (func $sq (param i32) (result i32) local.get 0 local.get 0 i32.mul)
      (func (export "sum") (param i32) (result i32)
        local.get 0
        call $sq
        local.get 0
        i32.add))
    (core instance $i (instantiate $inner))
    (func (export "sum") (param "n" u32) (result u32)
      (canon lift (core func $i "sum")))
  )
  (instance $x (instantiate $inner))
  (core instance $o (instantiate $outer))
  (func (export "outer-sum") (param "n" u32) (result u32)
    (canon lift (core func $o "sum")))
  (export "inner-sum" (func $x "sum"))
)
