#!/usr/bin/env bash
# Regenerates the answering-machine-detection fixtures, test/fixtures/audio/amd-*.wav (8 kHz,
# 16-bit, mono), with Debian's espeak-ng and sox. The WAV files are committed; this script is only
# for changing them. A "human" answers with a word or two and waits; a "machine" plays a greeting
# of several seconds, with or without the beep that invites the caller to speak.
#   apt-get install espeak-ng sox && bash scripts/generate-amd-fixtures.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=test/fixtures/audio
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pcm=(-r 8000 -c 1 -b 16 -e signed-integer)
greeting="Hi, you have reached Bob Smith. I cannot take your call right now. Please leave your name and number after the tone and I will call you back."

# speak <name> <text>: espeak-ng's voice at 8 kHz, normalised to -3 dBFS.
speak() {
  espeak-ng -v en-us -s 175 -w "$tmp/$1-raw.wav" "$2"
  sox "$tmp/$1-raw.wav" "${pcm[@]}" "$tmp/$1.wav" norm -3
}

speak greeting "$greeting"
speak hello "Hello?"
speak hello-who "Hello, this is Bob."

# A voicemail greeting, 0.5 s of silence, then the beep: a 1000 Hz sine of 400 ms at -6 dBFS.
sox -n "${pcm[@]}" "$tmp/pause.wav" trim 0 0.5
sox -n "${pcm[@]}" "$tmp/beep.wav" synth 0.4 sine 1000 vol 0.5
sox "$tmp/greeting.wav" "$tmp/pause.wav" "$tmp/beep.wav" "$out/amd-greeting.wav"
cp "$tmp/greeting.wav" "$out/amd-greeting-no-beep.wav"

# A person answering: a short phrase, then 2 s of silence while they wait for the caller.
sox -n "${pcm[@]}" "$tmp/wait.wav" trim 0 2
sox "$tmp/hello.wav" "$tmp/wait.wav" "$out/amd-hello.wav"
sox "$tmp/hello-who.wav" "$tmp/wait.wav" "$out/amd-hello-who.wav"

for f in "$out"/amd-*.wav; do
  echo "wrote $f ($(soxi -D "$f") s)"
done
