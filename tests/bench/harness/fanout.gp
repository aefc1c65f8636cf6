# Plot of the fan-out ladder: server CPU and p99 added latency against subscribers.
# gnuplot -e "datafile='fanout.dat'; outfile='fanout.png'" fanout.gp
set terminal pngcairo size 1500,480 font "DejaVu Sans,11"
set output outfile
set datafile missing "NaN"
set multiplot layout 1,3 title "Fan-out of one 720p30 1.5 Mbit/s H.264 + Opus stream, server pinned to one core"
set logscale x
set xlabel "subscribers"
set grid
set key top left
set ylabel "server CPU (% of its core)"
set yrange [0:*]
plot datafile using 1:3 with linespoints lw 2 pt 7 title "ClassBridge", \
     datafile using 1:2 with linespoints lw 2 pt 5 title "Janus"
set ylabel "server CPU µs per subscriber-second"
plot datafile using 1:9 with linespoints lw 2 pt 7 title "ClassBridge", \
     datafile using 1:8 with linespoints lw 2 pt 5 title "Janus"
set ylabel "p99 added latency (ms)"
set logscale y
set yrange [*:*]
plot datafile using 1:5 with linespoints lw 2 pt 7 title "ClassBridge", \
     datafile using 1:4 with linespoints lw 2 pt 5 title "Janus", \
     20 with lines dt 2 lc rgb "red" title "20 ms limit"
unset multiplot
