#!/usr/bin/env bash
# issue 31: nvdec-pipe-size.py on the lent machine, and render --decoder nvdec with the
# binary before the decoder pipe was grown (.carry/nvviz-bench-before.xz) and after, interleaved.
#   lab/scripts/lent-nvdec-pipe.sh   (writes $OUT/nvdec-pipe/)
. scripts/lent-env.sh
o=$OUT/nvdec-pipe; mkdir -p $o; machine_facts $o
xz -dc .carry/nvviz-bench-before.xz > $work/bin/nvviz-before; chmod +x $work/bin/nvviz-before
h264_clip $work/clip.mp4 400
python3 lab/scripts/nvdec-pipe-size.py "$NVVIZ_FFMPEG" $work/clip.mp4 400 3 > $o/runs.json 2> $o/runs.txt
for r in 1 2 3; do for b in nvviz-before nvviz-bench; do
  echo "== $b round $r" >> $o/render.txt
  $b render --video $work/clip.mp4 --decoder nvdec --mode native -o $work/out.mp4 -q >> $o/render.txt 2>&1
done; done
cat $o/runs.txt; grep -E "==|decoded by|Successfully" $o/render.txt
