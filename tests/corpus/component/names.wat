;; Function names holding the separators of the report's map text (`->`, `;`) and of its CSV (`, `), for the
;; shell's reading of a component's printed report (docs/COMPONENTS.md): a value that can be split in two ways
;; shows as `?`, never as one of them.  Built with `wasm-tools parse`, made a component as the C programs are.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\n")
  (func $a->b (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func $"x;y" (param i32) (result i32) local.get 0 call $a->b)
  (func $"p, q" (param i32) (result i32) local.get 0 call $"x;y" call $a->b)
  (func $b (param i32) (result i32) local.get 0 call $"p, q")
  (func $"a->1;b" (param i32) (result i32) local.get 0 call $b)
  (func $_start (export "_start")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $"a->1;b" (i32.const 3))) (drop (call $b (i32.const 3))) (drop (call $a->b (i32.const 1)))))
