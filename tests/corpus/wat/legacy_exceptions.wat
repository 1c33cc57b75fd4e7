;; @legacy-exceptions: the legacy exception instructions still emitted by older toolchains: try,
;; catch, catch_all, delegate, rethrow.  wasmtime cannot validate them, so only byte and instruction
;; identity applies to this fixture.
(module
  (tag $e (param i32))
  (tag $f)
  (func $thrower (param i32) local.get 0 throw $e)
  (func (export "catching") (param i32) (result i32)
    try (result i32)
      local.get 0
      call $thrower
      i32.const 0
    catch $e
      i32.const 1
      i32.add
    catch_all
      i32.const -1
    end)
  (func (export "rethrowing")
    try
      throw $f
    catch $f
      rethrow 0
    catch_all
      try
        nop
      catch_all
        rethrow 1
      end
    end)
  (func (export "delegating") (result i32)
    block $outer (result i32)
      try (result i32)
        try
          i32.const 5
          call $thrower
        delegate 0
        i32.const 0
      catch $e
      end
    end)
)
