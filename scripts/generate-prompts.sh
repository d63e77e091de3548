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
emergency-group|Connecting you to the emergency group. Please stay on the line.
call-preempted|This call has been interrupted for an emergency call.
invalid|That is not a valid choice.
mailbox-full|The mailbox is full. No message can be left.
message-saved|Your message has been saved.
enter-mailbox|Please enter the mailbox number, followed by the pound key.
enter-pin|Please enter your PIN, followed by the pound key.
wrong-pin|That PIN is not correct.
message-menu|Press 7 to delete this message, 9 to save it, the pound key for the next message, or 0 for options.
message-deleted|Message deleted.
message-kept|Message saved.
no-more-messages|There are no more messages.
options-menu|Press 1 to record your greeting, 2 to hear it, 3 to use the standard greeting, or star to go back.
record-greeting|Record your greeting after the tone, then press the pound key.
greeting-saved|Your greeting has been saved.
message-from|Message from
received|Received
at|at
urgent|Urgent.
number-0|zero
number-1|one
number-2|two
number-3|three
number-4|four
number-5|five
number-6|six
number-7|seven
number-8|eight
number-9|nine
number-10|ten
number-11|eleven
number-12|twelve
number-13|thirteen
number-14|fourteen
number-15|fifteen
number-16|sixteen
number-17|seventeen
number-18|eighteen
number-19|nineteen
number-20|twenty
number-30|thirty
number-40|forty
number-50|fifty
month-1|January
month-2|February
month-3|March
month-4|April
month-5|May
month-6|June
month-7|July
month-8|August
month-9|September
month-10|October
month-11|November
month-12|December
callback-hold|Please hold. We are connecting you to the person who has been trying to reach you.
callback-connected|The person you wanted to reach is on the line.
callback-caller-missed|The person who has been trying to reach you cannot take the call now. They will be told that you called back. Goodbye.
callback-started|Parley will keep trying that number, and call you back when it answers.
callback-stopped|Your background calls are stopped.
callback-blocked|Background calls from that number are now blocked.
click-merchant-missed|The person you are calling cannot take your call right now. Please try again later. Goodbye.
star|star
pound|pound
plus|plus
PROMPTS
