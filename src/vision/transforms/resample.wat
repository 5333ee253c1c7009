;; Pillow's 8-bit fixed-point resampling passes (libImaging/Resample.c: ImagingResampleHorizontal_8bpc /
;; ImagingResampleVertical_8bpc, PRECISION_BITS = 22, clip8), with WebAssembly SIMD: the same int32 sums, in the
;; same order per output value, so the bytes are identical to Pillow's. All pointers are byte offsets in memory.
(module
  (memory (export "memory") 1)
  ;; Horizontal pass over `rows` rows of RGB bytes: row y starts at src + y*stride; output pixel xx sums
  ;; bounds[2xx+1] taps from pixel bounds[2xx] with weights k[xx*ksize ..]; writes rows*outW*3 bytes at mid.
  ;; Reads 1 byte past a pixel (4-byte loads) and writes 1 byte past the end: callers pad by 16 bytes.
  (func (export "hpass") (param $src i32) (param $stride i32) (param $rows i32) (param $bounds i32) (param $k i32)
        (param $ksize i32) (param $outW i32) (param $mid i32)
    (local $y i32) (local $xx i32) (local $n i32) (local $p i32) (local $kp i32) (local $acc v128) (local $row i32) (local $o i32)
    (local.set $o (local.get $mid))
    (local.set $row (local.get $src))
    (block $ydone (loop $yl
      (br_if $ydone (i32.ge_u (local.get $y) (local.get $rows)))
      (local.set $xx (i32.const 0))
      (block $xdone (loop $xl
        (br_if $xdone (i32.ge_u (local.get $xx) (local.get $outW)))
        (local.set $n (i32.load offset=4 (i32.add (local.get $bounds) (i32.shl (local.get $xx) (i32.const 3)))))
        (local.set $p (i32.add (local.get $row)
          (i32.mul (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $xx) (i32.const 3)))) (i32.const 3))))
        (local.set $kp (i32.add (local.get $k) (i32.shl (i32.mul (local.get $xx) (local.get $ksize)) (i32.const 2))))
        (local.set $acc (v128.const i32x4 2097152 2097152 2097152 2097152))
        (block $tdone (loop $tl
          (br_if $tdone (i32.eqz (local.get $n)))
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.mul
              (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p))))
              (i32x4.splat (i32.load (local.get $kp))))))
          (local.set $p (i32.add (local.get $p) (i32.const 3)))
          (local.set $kp (i32.add (local.get $kp) (i32.const 4)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $tl)))
        (local.set $acc (i32x4.shr_s (local.get $acc) (i32.const 22)))
        (local.set $acc (i16x8.narrow_i32x4_s (local.get $acc) (local.get $acc)))
        (v128.store32_lane 0 (local.get $o) (i8x16.narrow_i16x8_u (local.get $acc) (local.get $acc)))
        (local.set $o (i32.add (local.get $o) (i32.const 3)))
        (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
        (br $xl)))
      (local.set $row (i32.add (local.get $row) (local.get $stride)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $yl))))
  ;; Vertical pass: output row yy (len bytes at dst + yy*len) sums bounds[2yy+1] rows of m, from row bounds[2yy]
  ;; (row r at base + r*stride), with weights k[yy*ksize ..]. Works in 16-byte blocks: reads and writes up to 15
  ;; bytes past a row (callers pad; the next row overwrites what spills into it).
  (func (export "vpass") (param $base i32) (param $stride i32) (param $outH i32) (param $len i32) (param $bounds i32)
        (param $k i32) (param $ksize i32) (param $dst i32)
    (local $yy i32) (local $i i32) (local $n i32) (local $p i32) (local $kp i32) (local $c v128) (local $v v128)
    (local $lo v128) (local $hi v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $row0 i32) (local $d i32)
    (local.set $d (local.get $dst))
    (block $ydone (loop $yl
      (br_if $ydone (i32.ge_u (local.get $yy) (local.get $outH)))
      (local.set $row0 (i32.add (local.get $base)
        (i32.mul (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $yy) (i32.const 3)))) (local.get $stride))))
      (local.set $i (i32.const 0))
      (block $idone (loop $il
        (br_if $idone (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $n (i32.load offset=4 (i32.add (local.get $bounds) (i32.shl (local.get $yy) (i32.const 3)))))
        (local.set $p (i32.add (local.get $row0) (local.get $i)))
        (local.set $kp (i32.add (local.get $k) (i32.shl (i32.mul (local.get $yy) (local.get $ksize)) (i32.const 2))))
        (local.set $a0 (v128.const i32x4 2097152 2097152 2097152 2097152))
        (local.set $a1 (local.get $a0)) (local.set $a2 (local.get $a0)) (local.set $a3 (local.get $a0))
        (block $tdone (loop $tl
          (br_if $tdone (i32.eqz (local.get $n)))
          (local.set $c (i32x4.splat (i32.load (local.get $kp))))
          (local.set $v (v128.load (local.get $p)))
          (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
          (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
          (local.set $a0 (i32x4.add (local.get $a0) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $lo)) (local.get $c))))
          (local.set $a1 (i32x4.add (local.get $a1) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $lo)) (local.get $c))))
          (local.set $a2 (i32x4.add (local.get $a2) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $hi)) (local.get $c))))
          (local.set $a3 (i32x4.add (local.get $a3) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $hi)) (local.get $c))))
          (local.set $p (i32.add (local.get $p) (local.get $stride)))
          (local.set $kp (i32.add (local.get $kp) (i32.const 4)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $tl)))
        (v128.store (i32.add (local.get $d) (local.get $i))
          (i8x16.narrow_i16x8_u
            (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a0) (i32.const 22)) (i32x4.shr_s (local.get $a1) (i32.const 22)))
            (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a2) (i32.const 22)) (i32x4.shr_s (local.get $a3) (i32.const 22)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $il)))
      (local.set $d (i32.add (local.get $d) (local.get $len)))
      (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
      (br $yl))))
  ;; HWC bytes (W x H x 3 at src) to CHW float32 at out through three 256-entry float tables (luts: 3 x 1024
  ;; bytes), columns mirrored when flip != 0.
  (func (export "totensor") (param $src i32) (param $W i32) (param $H i32) (param $out i32) (param $luts i32) (param $flip i32)
    (local $y i32) (local $x i32) (local $p i32) (local $o i32) (local $plane i32) (local $step i32)
    (local.set $plane (i32.shl (i32.mul (local.get $W) (local.get $H)) (i32.const 2)))
    (local.set $p (local.get $src))
    (local.set $step (select (i32.const -4) (i32.const 4) (local.get $flip)))
    (block $ydone (loop $yl
      (br_if $ydone (i32.ge_u (local.get $y) (local.get $H)))
      (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $y) (local.get $W)) (i32.const 2))))
      (if (local.get $flip) (then (local.set $o (i32.add (local.get $o) (i32.shl (i32.sub (local.get $W) (i32.const 1)) (i32.const 2))))))
      (local.set $x (i32.const 0))
      (block $xdone (loop $xl
        (br_if $xdone (i32.ge_u (local.get $x) (local.get $W)))
        (f32.store (local.get $o) (f32.load (i32.add (local.get $luts) (i32.shl (i32.load8_u (local.get $p)) (i32.const 2)))))
        (f32.store (i32.add (local.get $o) (local.get $plane))
          (f32.load offset=1024 (i32.add (local.get $luts) (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 2)))))
        (f32.store (i32.add (local.get $o) (i32.shl (local.get $plane) (i32.const 1)))
          (f32.load offset=2048 (i32.add (local.get $luts) (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 2)))))
        (local.set $p (i32.add (local.get $p) (i32.const 3)))
        (local.set $o (i32.add (local.get $o) (local.get $step)))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $xl)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $yl))))
)
