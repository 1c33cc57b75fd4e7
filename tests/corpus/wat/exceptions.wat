;; Exception handling (the current proposal): tags, try_table with catch, catch_ref, catch_all,
;; catch_all_ref, throw, throw_ref and an exnref local.
;; @run catch_value 7 => 8
;; @run catch_all 1 => 2
;; @run rethrow => 42
;; @run uncaught => trap
(module
  (tag $e (param i32))
  (tag $e2 (param i32 i64))
  (tag $empty)
  (func $thrower (param i32)
    local.get 0
    throw $e)
  (func (export "catch_value") (param i32) (result i32)
    block $h (result i32)
      try_table (catch $e $h)
        local.get 0
        call $thrower
      end
      i32.const -1
      return
    end
    i32.const 1
    i32.add)
  (func (export "catch_all") (param i32) (result i32)
    block $h
      try_table (catch_all $h)
        throw $empty
      end
      i32.const -1
      return
    end
    local.get 0
    i32.const 1
    i32.add)
  (func $inner (result exnref)
    (local $x exnref)
    block $h (result i32 i64 exnref)
      try_table (catch_ref $e2 $h)
        i32.const 40
        i64.const 2
        throw $e2
      end
      unreachable
    end
    local.set $x
    drop
    drop
    local.get $x)
  (func (export "rethrow") (result i32)
    block $h (result i32 i64)
      block $all (result exnref)
        try_table (catch $e2 $h) (catch_all_ref $all)
          call $inner
          throw_ref
        end
        unreachable
      end
      drop
      i32.const -1
      return
    end
    i32.wrap_i64
    i32.add)
  (func (export "uncaught") (result i32)
    i32.const 3
    throw $e)
)
