// The media bench's load generator in C: the same protocol and the same measurements as load.mjs
// (read that file's header for what is sent and measured), at a fraction of its CPU, so the
// generator stays clear of its own core's limit while the servers are pushed to theirs. run.mjs
// compiles it with the system C compiler into a temp directory when one is available and falls
// back to load.mjs otherwise. Linux only (epoll, recvmmsg, SO_TIMESTAMPNS).
//
// It does not sleep in epoll_wait: it wakes every POLL_MS (and at every send slice), collects what
// arrived with a non-blocking epoll_wait and recvmmsg, and takes each packet's arrival time from the
// kernel (SO_TIMESTAMPNS, stamped when the server's send delivered it), so polling adds nothing to
// the measured transit or jitter. A receiver blocked in epoll_wait would be woken by the server's
// every send on loopback, and the server's send would pay for that wake-up (about a tenth of its
// CPU); phones on a real network cost the server no such thing. All times are CLOCK_REALTIME, the
// clock of the kernel's stamps.
//
// Usage: parley-load <pairs|conference> <phones> <seconds> [slices] [group size]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PTIME_MS 20.0
#define PAYLOAD_BYTES 160
#define PACKET_BYTES (12 + PAYLOAD_BYTES)
#define DRAIN_MS 600.0
#define WARMUP_MS 200.0
#define LEVEL_CODE 198 /* PCMU code of linear 1500 */
#define BATCH 16
#define POLL_MS 1.0

typedef struct {
  int fd;
  int others;
  uint8_t packet[PACKET_BYTES];
  uint16_t seq;
  uint32_t ts;
  long sent, received, out_of_order, last_tick;
  double prev;
  int has_prev;
  double jitter, abs_d_sum, max_abs_d, transit_sum, max_transit;
  long abs_d_count;
  long voices;
  double rtp_time;
  int64_t last_ts;
} Phone;

static int pairs;
static double window_start = INFINITY, window_end = INFINITY;
static double level;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void sleep_until(double ms) {
  struct timespec t;
  double s = ms / 1000;
  t.tv_sec = (time_t)s;
  t.tv_nsec = (long)((s - (double)t.tv_sec) * 1e9);
  while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL) == EINTR) {
  }
}

static void die(const char *what) {
  fprintf(stderr, "parley-load: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* G.711 µ-law code → 16-bit linear (the standard table, as load.mjs). */
static int ulaw_decode(int code) {
  int u = ~code & 0xff;
  int magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 7)) - 0x84;
  return (u & 0x80) ? -magnitude : magnitude;
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = v >> 8;
  p[1] = v & 0xff;
}
static void put32(uint8_t *p, uint32_t v) {
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}
static uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void put_double(uint8_t *p, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  for (int i = 7; i >= 0; i--, v >>= 8) p[i] = v & 0xff;
}
static double get_double(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  double d;
  memcpy(&d, &v, 8);
  return d;
}

static void variation(Phone *ph, double transit) {
  if (ph->has_prev) {
    double d = fabs(transit - ph->prev);
    ph->jitter += (d - ph->jitter) / 16;
    ph->abs_d_sum += d;
    ph->abs_d_count += 1;
    if (d > ph->max_abs_d) ph->max_abs_d = d;
  }
  ph->prev = transit;
  ph->has_prev = 1;
}

static void receive(Phone *ph, const uint8_t *msg, size_t len, double now) {
  if (pairs) {
    if (len < 24) return;
    long tick = (long)get32(msg + 12);
    double sent_at = get_double(msg + 16);
    ph->received += 1;
    if (tick <= ph->last_tick) ph->out_of_order += 1;
    else ph->last_tick = tick;
    double transit = now - sent_at;
    ph->transit_sum += transit;
    if (transit > ph->max_transit) ph->max_transit = transit;
    variation(ph, transit);
  } else {
    if (len < PACKET_BYTES || now < window_start || now > window_end) return;
    uint32_t ts = get32(msg + 4);
    ph->rtp_time += ph->last_ts < 0 ? 0 : (double)(int32_t)(ts - (uint32_t)ph->last_ts) / 8;
    ph->last_ts = ts;
    ph->received += 1;
    long heard = lround(ulaw_decode(msg[len - 1]) / level);
    if (heard < 0) heard = 0;
    if (heard > ph->others) heard = ph->others;
    ph->voices += heard;
    variation(ph, now - ph->rtp_time);
  }
}

static void send_packet(Phone *ph, uint32_t tick) {
  uint8_t *p = ph->packet;
  ph->seq = (uint16_t)(ph->seq + 1);
  ph->ts += 160;
  put16(p + 2, ph->seq);
  put32(p + 4, ph->ts);
  if (pairs) {
    put32(p + 12, tick);
    put_double(p + 16, now_ms());
  }
  /* Counted as sent even if the kernel refuses it (a full socket buffer): that packet is lost. */
  (void)send(ph->fd, p, PACKET_BYTES, MSG_DONTWAIT);
  ph->sent += 1;
}

static char *read_line(void) {
  size_t cap = 0;
  char *line = NULL;
  if (getline(&line, &cap, stdin) < 0) {
    fprintf(stderr, "parley-load: stdin closed before relays\n");
    exit(1);
  }
  return line;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: parley-load <pairs|conference> <phones> <seconds> [slices] [group size]\n");
    return 2;
  }
  pairs = strcmp(argv[1], "pairs") == 0;
  int phones = atoi(argv[2]);
  double seconds = atof(argv[3]);
  int slices = argc > 4 ? atoi(argv[4]) : 4;
  int group = pairs ? 2 : (argc > 5 ? atoi(argv[5]) : 10);
  if ((!pairs && strcmp(argv[1], "conference") != 0) || phones <= 0 || seconds <= 0 || group < 2 ||
      phones % group != 0) {
    fprintf(stderr, "parley-load: bad arguments\n");
    return 2;
  }
  if (slices < 1) slices = 1;
  if (slices > phones) slices = phones;
  level = ulaw_decode(LEVEL_CODE);
  setvbuf(stdout, NULL, _IOLBF, 0);

  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }

  Phone *ph = calloc((size_t)phones, sizeof(Phone));
  if (!ph) die("calloc");
  struct sockaddr_in local = {.sin_family = AF_INET};
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  printf("{\"groups\": [");
  for (int i = 0; i < phones; i++) {
    Phone *p = &ph[i];
    uint32_t ssrc = 0x10000000u + (uint32_t)i;
    p->others = group - 1;
    p->last_tick = -1;
    p->last_ts = -1;
    p->seq = ssrc & 0xffff;
    p->ts = ssrc * 7u;
    memset(p->packet, LEVEL_CODE, PACKET_BYTES);
    p->packet[0] = 0x80;
    p->packet[1] = 0;
    put32(p->packet + 8, ssrc);
    p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) die("socket");
    int size = 1 << 18;
    setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    int on = 1;
    if (setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0) die("SO_TIMESTAMPNS");
    if (bind(p->fd, (struct sockaddr *)&local, sizeof local) < 0) die("bind");
    struct sockaddr_in bound;
    socklen_t len = sizeof bound;
    if (getsockname(p->fd, (struct sockaddr *)&bound, &len) < 0) die("getsockname");
    const char *before = i == 0 ? "[" : i % group == 0 ? "], [" : ", ";
    printf("%s%d", before, ntohs(bound.sin_port));
  }
  printf("]], \"pid\": %d}\n", (int)getpid());

  /* {"relays": [[port, ...], ...]}: every integer, in order, is one phone's server port. */
  char *line = read_line();
  int n = 0;
  for (char *c = line; *c && n < phones;) {
    if (*c >= '0' && *c <= '9') {
      long port = strtol(c, &c, 10);
      struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
      to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(ph[n].fd, (struct sockaddr *)&to, sizeof to) < 0) die("connect");
      n++;
    } else {
      c++;
    }
  }
  free(line);
  if (n != phones) {
    fprintf(stderr, "parley-load: relays: %d ports for %d phones\n", n, phones);
    return 1;
  }

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  for (int i = 0; i < phones; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ph[i].fd, &ev) < 0) die("epoll_ctl");
  }

  int *bounds = calloc((size_t)slices + 1, sizeof(int));
  for (int s = 0; s <= slices; s++) bounds[s] = (int)lround((double)s * phones / slices);
  double sub_ms = PTIME_MS / slices;
  long ticks = lround(seconds * 1000 / PTIME_MS);
  long total_subs = ticks * slices;
  double t0 = now_ms() + 20;
  window_start = t0 + WARMUP_MS;
  window_end = t0 + seconds * 1000;
  long sub = 0;
  double lag_sum = 0, lag_max = 0, send_end = 0, drain_until = INFINITY;

  printf("{\"sending\": true}\n");
  struct epoll_event events[256];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  static uint8_t bufs[BATCH][2048];
  static uint8_t controls[BATCH][CMSG_SPACE(sizeof(struct timespec))];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = sizeof bufs[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  for (;;) {
    double now = now_ms();
    while (sub < total_subs && t0 + sub * sub_ms <= now) {
      double lag = now - (t0 + sub * sub_ms);
      lag_sum += lag;
      if (lag > lag_max) lag_max = lag;
      int slice = (int)(sub % slices);
      uint32_t tick = (uint32_t)(sub / slices);
      for (int i = bounds[slice]; i < bounds[slice + 1]; i++) send_packet(&ph[i], tick);
      sub += 1;
      now = now_ms();
    }
    if (sub >= total_subs && send_end == 0) {
      send_end = now;
      drain_until = now + DRAIN_MS;
      printf("{\"sent\": true}\n");
    }
    if (now >= drain_until) break;
    /* Collect what arrived, without blocking. */
    for (;;) {
      int ready = epoll_wait(ep, events, 256, 0);
      if (ready < 0 && errno != EINTR) die("epoll_wait");
      for (int e = 0; e < ready; e++) {
        Phone *rx = &ph[events[e].data.u32];
        for (;;) {
          for (int m = 0; m < BATCH; m++) {
            msgs[m].msg_hdr.msg_control = controls[m];
            msgs[m].msg_hdr.msg_controllen = sizeof controls[m];
          }
          int got = recvmmsg(rx->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
          if (got <= 0) break;
          double fallback = now_ms();
          for (int m = 0; m < got; m++) {
            double arrived = fallback;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[m].msg_hdr); c; c = CMSG_NXTHDR(&msgs[m].msg_hdr, c)) {
              if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                struct timespec t;
                memcpy(&t, CMSG_DATA(c), sizeof t);
                arrived = (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
              }
            }
            receive(rx, bufs[m], msgs[m].msg_len, arrived);
          }
          if (got < BATCH) break;
        }
      }
      if (ready < 256) break;
    }
    /* Sleep until the next send slice or the next poll, whichever comes first. */
    double next = sub < total_subs ? t0 + sub * sub_ms : drain_until;
    double poll = now_ms() + POLL_MS;
    sleep_until(next < poll ? next : poll);
  }

  long sent = 0, received = 0, out_of_order = 0, abs_d_count = 0, dead = 0;
  double expected = 0, voices = 0, voices_expected = 0, abs_d_sum = 0, max_abs_d = 0, jitter_sum = 0,
         jitter_max = 0, transit_sum = 0, max_transit = 0, worst = 0;
  double window_packets = (window_end - window_start) / PTIME_MS;
  for (int i = 0; i < phones; i++) {
    Phone *rx = &ph[i];
    int partner = (i % 2 == 0) ? i + 1 : i - 1;
    double due = pairs ? (double)ph[partner].sent : window_packets;
    sent += rx->sent;
    expected += due;
    received += rx->received;
    voices += (double)rx->voices;
    voices_expected += window_packets * rx->others;
    out_of_order += rx->out_of_order;
    abs_d_sum += rx->abs_d_sum;
    abs_d_count += rx->abs_d_count;
    if (rx->max_abs_d > max_abs_d) max_abs_d = rx->max_abs_d;
    jitter_sum += rx->jitter;
    if (rx->jitter > jitter_max) jitter_max = rx->jitter;
    transit_sum += rx->transit_sum;
    if (rx->max_transit > max_transit) max_transit = rx->max_transit;
    double loss = pairs ? (due > 0 ? 1 - rx->received / due : 0) : 1 - rx->voices / (window_packets * rx->others);
    if (loss > worst) worst = loss;
    if (rx->received == 0) dead += 1;
  }
  double packet_loss = expected > 0 ? fmax(0, expected - (double)received) / expected : 0;
  double voice_loss = voices_expected > 0 ? fmax(0, voices_expected - voices) / voices_expected : 0;
  printf("{\"result\": {\"mode\": \"%s\", \"phones\": %d, \"groupSize\": %d, \"streams\": %d, \"seconds\": %g, "
         "\"slices\": %d, \"sendSeconds\": %.3f, \"sent\": %ld, \"received\": %ld, \"lossPct\": %.4f, "
         "\"packetLossPct\": %.4f, \"worstStreamLossPct\": %.3f, \"deadStreams\": %ld, \"outOfOrder\": %ld, "
         "\"jitterMs\": %.3f, \"rfc3550JitterMeanMs\": %.3f, \"rfc3550JitterMaxMs\": %.3f, \"maxAbsDMs\": %.3f, ",
         pairs ? "pairs" : "conference", phones, group, phones, seconds, slices, (send_end - t0) / 1000, sent, received,
         100 * (pairs ? packet_loss : voice_loss), 100 * packet_loss, 100 * fmax(0, worst), dead, out_of_order,
         abs_d_count > 0 ? abs_d_sum / (double)abs_d_count : 0, jitter_sum / phones, jitter_max, max_abs_d);
  if (pairs)
    printf("\"transitMeanMs\": %.3f, \"transitMaxMs\": %.3f, ", received > 0 ? transit_sum / (double)received : 0,
           max_transit);
  else
    printf("\"transitMeanMs\": null, \"transitMaxMs\": null, ");
  printf("\"senderLagMeanMs\": %.3f, \"senderLagMaxMs\": %.3f, \"generator\": \"c\"}}\n",
         lag_sum / (double)(sub > 0 ? sub : 1), lag_max);
  return 0;
}
