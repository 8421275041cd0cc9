;; The relay's inner loop: copy whole lines, each after a prefix, with no string or garbage
;; per line (compiled by scripts/bundle.mjs with wabt; used by printer.ts).
(module
  (memory (export "memory") 1)

  ;; Copy the lines at [src, src+len) to dst, each after the plen bytes at pre, and return the
  ;; bytes written. The input should end with a newline; if not, its last byte ends the last line.
  (func (export "prefixLines") (param $src i32) (param $len i32) (param $dst i32) (param $pre i32) (param $plen i32) (result i32)
    (local $end i32) (local $last i32) (local $o i32) (local $j i32) (local $n i32) (local $w i64) (local $t i64)
    (local.set $end (i32.add (local.get $src) (local.get $len)))
    (local.set $last (i32.sub (local.get $end) (i32.const 1)))
    (local.set $o (local.get $dst))
    (block $done
      (loop $line
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (memory.copy (local.get $o) (local.get $pre) (local.get $plen))
        (local.set $o (i32.add (local.get $o) (local.get $plen)))
        ;; $j: this line's newline, found 8 bytes at a time while they are inside the input
        (local.set $j (local.get $src))
        (block $found
          (block $narrow
            (loop $wide
              (br_if $narrow (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $end)))
              ;; a byte of $w is zero where the input has "\n"; $t's lowest set bit marks the first
              (local.set $w (i64.xor (i64.load (local.get $j)) (i64.const 0x0A0A0A0A0A0A0A0A)))
              (local.set $t
                (i64.and
                  (i64.and (i64.sub (local.get $w) (i64.const 0x0101010101010101)) (i64.xor (local.get $w) (i64.const -1)))
                  (i64.const 0x8080808080808080)))
              (if (i64.ne (local.get $t) (i64.const 0))
                (then
                  (local.set $j (i32.add (local.get $j) (i32.wrap_i64 (i64.shr_u (i64.ctz (local.get $t)) (i64.const 3)))))
                  (br $found)))
              (local.set $j (i32.add (local.get $j) (i32.const 8)))
              (br $wide)))
          (loop $byte
            (br_if $found (i32.ge_u (local.get $j) (local.get $last)))
            (br_if $found (i32.eq (i32.load8_u (local.get $j)) (i32.const 10)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $byte)))
        (local.set $n (i32.sub (i32.add (local.get $j) (i32.const 1)) (local.get $src)))
        (memory.copy (local.get $o) (local.get $src) (local.get $n))
        (local.set $o (i32.add (local.get $o) (local.get $n)))
        (local.set $src (i32.add (local.get $j) (i32.const 1)))
        (br $line)))
    (i32.sub (local.get $o) (local.get $dst))))
