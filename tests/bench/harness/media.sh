#!/usr/bin/env bash
# Pre-encodes, once, the benchmark's publisher stream and packetizes it into RTP, so that the
# replay side runs no encoder or payloader during a measurement (issue 6).
#   720p30 H.264 constrained baseline, 1.5 Mbit/s (CBR-ish VBV), 2 s GOP (60 frames), no B-frames
#   Opus 48 kHz stereo, 64 kbit/s, 20 ms frames
# Output (cached; delete the dir to re-make): $1/video.rtps, $1/audio.rtps — RTP packets in
# RFC 4571 framing (16-bit length + packet), as GStreamer's rtpstreampay writes them.
# RTP packets are at most 1,200 bytes (rtph264pay mtu), SPS/PPS repeated before every IDR.
set -euo pipefail
OUT=${1:?usage: media.sh OUTDIR}
SECONDS_LONG=${CB_BENCH_MEDIA_SECONDS:-20}
mkdir -p "$OUT"
if [ -s "$OUT/video.rtps" ] && [ -s "$OUT/audio.rtps" ]; then exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A moving test pattern with a clock and some noise so that every frame codes to real bits.
nice -n 10 ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000,aformat=channel_layouts=stereo" \
  -t "$SECONDS_LONG" -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -profile:v baseline -level 3.1 -pix_fmt yuv420p \
  -b:v 1500k -maxrate 1500k -bufsize 1500k -g 60 -keyint_min 60 -sc_threshold 0 -bf 0 \
  -x264-params "nal-hrd=none:repeat-headers=1" \
  -c:a libopus -b:a 64k -frame_duration 20 -application audio \
  "$tmp/media.mkv"
nice -n 10 gst-launch-1.0 -q filesrc location="$tmp/media.mkv" ! matroskademux name=d \
  d.video_0 ! queue ! h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au \
  ! rtph264pay pt=96 mtu=1200 config-interval=-1 ssrc=1111 seqnum-offset=0 timestamp-offset=0 \
  ! rtpstreampay ! filesink location="$tmp/video.rtps" \
  d.audio_0 ! queue ! opusparse ! rtpopuspay pt=111 ssrc=2222 seqnum-offset=0 timestamp-offset=0 \
  ! rtpstreampay ! filesink location="$tmp/audio.rtps"
mv "$tmp/video.rtps" "$tmp/audio.rtps" "$OUT/"
echo "media: $(stat -c %s "$OUT/video.rtps") bytes video RTP, $(stat -c %s "$OUT/audio.rtps") bytes audio RTP in $OUT"
