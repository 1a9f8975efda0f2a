// ptyrun: runs a command on a new pseudo-terminal and drives it from a
// script on stdin, for end-to-end tests of interactive CLIs (`skiff run
// -it`, attach, detach keys). Everything the command writes to the terminal
// is copied to stdout. Script lines:
//
//   send TEXT        write TEXT to the terminal (\n \r \t \\ \xHH escapes)
//   expect TEXT      wait until TEXT appears in the output since the last
//                    expect (10 s, else exit 124 with "ptyrun: timeout")
//   resize ROWS COLS set the window size (the command gets SIGWINCH)
//   sleep MS
//   wait             wait for the command to exit (10 s)
//
// At the end (after `wait`, or EOF of the script, which also waits) it
// prints "ptyrun: exit N" and "ptyrun: termios restored|changed" (whether
// the command left the terminal in the mode it found it), and exits N.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int master = -1, slave = -1;
static pid_t child;
static char seen[1 << 20];
static size_t seen_len, expect_from;
static int exited = 0, status = 0;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pump(int timeout_ms) {
  struct pollfd p = {master, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) > 0) {
    char buf[4096];
    ssize_t n = read(master, buf, sizeof buf);
    if (n > 0) {
      fwrite(buf, 1, n, stdout);
      fflush(stdout);
      if (seen_len + n < sizeof seen) {
        memcpy(seen + seen_len, buf, n);
        seen_len += n;
      }
    }
  }
  if (!exited) {
    int st;
    if (waitpid(child, &st, WNOHANG) == child) {
      exited = 1;
      status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
  }
}

static size_t unescape(const char* in, char* out) {
  size_t n = 0;
  for (; *in; ++in) {
    if (*in != '\\' || !in[1]) {
      out[n++] = *in;
      continue;
    }
    ++in;
    switch (*in) {
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case 'x': {
        char hex[3] = {in[1], in[1] ? in[2] : 0, 0};
        out[n++] = (char)strtol(hex, NULL, 16);
        in += 2;
        break;
      }
      default: out[n++] = *in;
    }
  }
  return n;
}

static int finish(struct termios* before) {
  long deadline = now_ms() + 10000;
  while (!exited && now_ms() < deadline) pump(50);
  for (int i = 0; i < 5; ++i) pump(20);  // the rest of the output
  if (!exited) {
    printf("\nptyrun: timeout waiting for exit\n");
    kill(child, SIGKILL);
    return 124;
  }
  struct termios after;
  tcgetattr(slave, &after);
  int same = after.c_lflag == before->c_lflag && after.c_iflag == before->c_iflag &&
             after.c_oflag == before->c_oflag;
  printf("\nptyrun: exit %d\nptyrun: termios %s\n", status, same ? "restored" : "changed");
  return status;
}

int main(int argc, char** argv) {
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "--") == 0) first = 2;
  if (first >= argc) {
    fprintf(stderr, "usage: ptyrun -- COMMAND [ARG...] < script\n");
    return 2;
  }
  struct winsize ws = {24, 80, 0, 0};
  if (openpty(&master, &slave, NULL, NULL, &ws) < 0) {
    perror("ptyrun: openpty");
    return 2;
  }
  struct termios before;
  tcgetattr(slave, &before);
  child = fork();
  if (child == 0) {
    setsid();
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, 0);
    dup2(slave, 1);
    dup2(slave, 2);
    close(master);
    if (slave > 2) close(slave);
    execvp(argv[first], argv + first);
    perror("ptyrun: exec");
    _exit(127);
  }
  char line[8192];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    if (strncmp(line, "send ", 5) == 0) {
      char buf[8192];
      size_t n = unescape(line + 5, buf);
      if (write(master, buf, n) < 0) perror("ptyrun: write");
    } else if (strncmp(line, "expect ", 7) == 0) {
      char want[8192];
      size_t n = unescape(line + 7, want);
      want[n] = 0;
      long deadline = now_ms() + 10000;
      for (;;) {
        seen[seen_len] = 0;
        char* hit = memmem(seen + expect_from, seen_len - expect_from, want, n);
        if (hit) {
          expect_from = (size_t)(hit - seen) + n;
          break;
        }
        if (now_ms() > deadline) {
          printf("\nptyrun: timeout waiting for \"%s\"\n", line + 7);
          kill(child, SIGKILL);
          return 124;
        }
        pump(50);
      }
    } else if (strncmp(line, "resize ", 7) == 0) {
      struct winsize w = {0};
      if (sscanf(line + 7, "%hu %hu", &w.ws_row, &w.ws_col) == 2) ioctl(master, TIOCSWINSZ, &w);
    } else if (strncmp(line, "sleep ", 6) == 0) {
      long until = now_ms() + atol(line + 6);
      while (now_ms() < until) pump(10);
    } else if (strcmp(line, "wait") == 0) {
      break;
    } else if (line[0] && line[0] != '#') {
      fprintf(stderr, "ptyrun: unknown script line: %s\n", line);
      return 2;
    }
  }
  return finish(&before);
}
