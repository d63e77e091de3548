#!/usr/bin/env bash
# Regenerates assets/prompts/*.wav (8 kHz, 16-bit, mono) with Debian's espeak-ng and sox.
# The WAV files are committed; this script is only for changing or adding prompts.
#   apt-get install espeak-ng sox && bash scripts/generate-prompts.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=assets/prompts
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name|text
while IFS='|' read -r name text; do
  [[ -z $name ]] && continue
  espeak-ng -v en-us -s 150 -w "$tmp/$name.wav" "$text"
  sox "$tmp/$name.wav" -r 8000 -c 1 -b 16 -e signed-integer "$out/$name.wav" norm -3
  echo "wrote $out/$name.wav"
done <<'PROMPTS'
not-available|The person you are calling is not available.
leave-message|Please leave a message after the tone. When you are done, hang up, or press the pound key.
no-messages|You have no new messages.
new-messages|You have new messages.
goodbye|Goodbye.
recording-on|This call is being recorded.
recording-off|Recording stopped.
call-back|We are calling you back now. Please hold.
insufficient-balance|Your balance is too low to place this call.
emergency|Emergency call. Please stay on the line.
invalid|That is not a valid choice.
PROMPTS
