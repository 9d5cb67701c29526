# SPDX-License-Identifier: MIT
#
# make bench plot: gnuplot -e "d='DIR'" plot.gp reads DIR/*.dat (written by
# report.py) and writes DIR/results.png.
set terminal pngcairo size 1400,1300 noenhanced font ",9"
set output d.'/results.png'
set multiplot layout 3,3 title 'vnpu make bench (guest under TCG; device engines at host speed)'
set grid
set key top left

set title 'latency vs job size: COPY'
set logscale xy
set xlabel 'bytes'
set ylabel 'us (submit to wait return)'
plot d.'/copy_us_vs_bytes.dat' w lp t 'device COPY'

set title 'latency vs job size: GEMM fp32 n^3'
set xlabel 'MACs'
plot d.'/gemm_us_vs_macs.dat' w lp t 'device GEMM (guest view)', \
     d.'/host_gemm_us_vs_macs.dat' w lp t 'host OpenBLAS sgemm'

set title 'no-op throughput vs queue depth (1 process)'
set logscale x
unset logscale y
set xlabel 'jobs in flight'
set ylabel 'jobs/s'
plot d.'/jobs_per_s_vs_depth.dat' w lp t 'no-op jobs/s'

set title 'no-op throughput vs processes'
set xlabel 'processes'
plot d.'/jobs_per_s_vs_procs.dat' w lp t 'no-op jobs/s (all processes)'

set title 'guest memory vs live 4 KiB BOs'
set logscale xy
set xlabel 'BOs'
set ylabel 'KiB (MemAvailable drop)'
plot d.'/mem_kib_vs_bos.dat' w lp t 'memory'

set title 'throughput vs engine threads (all queues)'
unset logscale
set xlabel 'engines (device property)'
set ylabel 'jobs/s'
set xrange [0.5:4.5]
set yrange [0:*]
plot d.'/gemm512_jobs_per_s_vs_engines.dat' w lp t 'GEMM 512^3 jobs/s', \
     d.'/noop_jobs_per_s_vs_engines.dat' w lp t 'no-op jobs/s'

set title 'data parallel: model batches over devices'
set xlabel 'vnpu devices'
set ylabel 'batches/s (64 samples each)'
set xrange [0.5:3.5]
set yrange [0:*]
plot d.'/mlp_b64_items_per_s_vs_devices.dat' w lp t 'digits MLP b64', \
     d.'/cnn_b64_items_per_s_vs_devices.dat' w lp t 'digits CNN b64'

unset multiplot
