#!/bin/sh
# `silo lab up` + `down` against the same topology made and removed with iproute2 commands.
# Two shapes, 10 hosts each: a star (every host on one bridge) and a chain (h0 - h1 - ... - h9).
#   sudo benchmarks/lab-updown.sh [runs] [silo binary]
# Prints the median and p90 of a whole up+down in ms for each shape and each way.
# Names are labbench$$-*: only the script's own namespaces are touched.
set -u
RUNS=${1:-20}
SILO=${2:-.build/release/silo}
TMP=$(mktemp -d /tmp/labbench.XXXXXX)
LAB=labbench$$
cleanup() { "$SILO" lab down $LAB >/dev/null 2>&1; ip_down; rm -rf $TMP; }
trap cleanup EXIT

# star.json: hosts h0..h9, bridge sw0 (in LAB-switch), h_i 10.9.0.(i+1)/24.
{
  printf '{"hosts": ['
  for i in 0 1 2 3 4 5 6 7 8 9; do [ $i = 0 ] || printf ','; printf '{"name": "h%d"}' $i; done
  printf '], "bridges": [{"name": "sw0"}], "links": ['
  for i in 0 1 2 3 4 5 6 7 8 9; do [ $i = 0 ] || printf ','
    printf '{"a": {"host": "h%d", "addresses": ["10.9.0.%d/24"]}, "b": {"bridge": "sw0"}}' $i $((i + 1)); done
  printf ']}\n'
} > $TMP/star.json
# chain.json: h_i -- h_(i+1) on 10.9.(i+1).0/24.
{
  printf '{"hosts": ['
  for i in 0 1 2 3 4 5 6 7 8 9; do [ $i = 0 ] || printf ','; printf '{"name": "h%d"}' $i; done
  printf '], "links": ['
  for i in 0 1 2 3 4 5 6 7 8; do [ $i = 0 ] || printf ','
    printf '{"a": {"host": "h%d", "addresses": ["10.9.%d.1/24"]}, "b": {"host": "h%d", "addresses": ["10.9.%d.2/24"]}}' $i $((i + 1)) $((i + 1)) $((i + 1)); done
  printf ']}\n'
} > $TMP/chain.json

ip_star() {
  for i in 0 1 2 3 4 5 6 7 8 9; do ip netns add $LAB-h$i; ip -n $LAB-h$i link set lo up; done
  ip netns add $LAB-switch; ip -n $LAB-switch link set lo up
  ip -n $LAB-switch link add sw0 type bridge; ip -n $LAB-switch link set sw0 up
  for i in 0 1 2 3 4 5 6 7 8 9; do
    ip -n $LAB-h$i link add eth0 type veth peer name veth$i netns $LAB-switch
    ip -n $LAB-h$i addr add 10.9.0.$((i + 1))/24 dev eth0
    ip -n $LAB-switch link set veth$i master sw0
    ip -n $LAB-h$i link set eth0 up; ip -n $LAB-switch link set veth$i up
  done
}
ip_chain() {
  for i in 0 1 2 3 4 5 6 7 8 9; do ip netns add $LAB-h$i; ip -n $LAB-h$i link set lo up; done
  for i in 0 1 2 3 4 5 6 7 8; do j=$((i + 1))
    dev=eth0; [ $i = 0 ] || dev=eth1
    ip -n $LAB-h$i link add $dev type veth peer name eth0 netns $LAB-h$j
    ip -n $LAB-h$i addr add 10.9.$j.1/24 dev $dev; ip -n $LAB-h$j addr add 10.9.$j.2/24 dev eth0
    ip -n $LAB-h$i link set $dev up; ip -n $LAB-h$j link set eth0 up
  done
}
ip_down() { for n in $(ip netns list | awk "/^$LAB-/ {print \$1}"); do ip netns del $n; done; }

now() { date +%s%N; }
stats() { sort -n | awk '{a[NR]=$1} END {printf "median %.1f ms  p90 %.1f ms  (n=%d)\n", a[int((NR+1)/2)]/1e6, a[int(NR*0.9+0.5)]/1e6, NR}'; }

for shape in star chain; do
  for way in silo ip; do
    run=0; : > $TMP/t
    while [ $run -lt "$RUNS" ]; do
      t0=$(now)
      if [ $way = silo ]; then "$SILO" lab up $TMP/$shape.json --name $LAB >/dev/null; "$SILO" lab down $LAB
      else ip_$shape; ip_down; fi
      echo $(( $(now) - t0 )) >> $TMP/t
      run=$((run + 1))
    done
    printf '%-6s %-5s ' $shape $way; stats < $TMP/t
  done
done
