/*
 * LD_PRELOAD shim for the migrate fault-injection test. It counts every
 * rename(2)-family call of every process of the step script (mv, ...) in a
 * shared counter file, and at the Nth call kills the whole process group with
 * SIGKILL, either just before or just after the real call: a crash, power loss
 * or kill -9 at that instant, as far as the filesystem can tell.
 *
 *   TABULA_FAULT_COUNTER  counter file (created; holds the decimal count)
 *   TABULA_FAULT_AT       N (1-based); 0 or unset: only count
 *   TABULA_FAULT_WHEN     "before" or "after"
 *   TABULA_FAULT_DIRS     "1": count (and kill at) rmdir(2) and mkdir(2) calls
 *                         too, the other changes phase revert makes
 *
 * Built by the test with: cc -shared -fPIC -O2 -o rename-fault.so rename-fault.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static long bump(void) {
  const char *path = getenv("TABULA_FAULT_COUNTER");
  if (!path) return 0;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  flock(fd, LOCK_EX);
  char buf[32] = {0};
  ssize_t got = pread(fd, buf, sizeof buf - 1, 0);
  long n = got > 0 ? strtol(buf, NULL, 10) : 0;
  n += 1;
  int len = snprintf(buf, sizeof buf, "%ld\n", n);
  if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)len, 0) == len) fsync(fd);
  flock(fd, LOCK_UN);
  close(fd);
  return n;
}

static void maybe_kill(long n, const char *when) {
  const char *at = getenv("TABULA_FAULT_AT");
  const char *w = getenv("TABULA_FAULT_WHEN");
  if (!at || !w || n == 0) return;
  if (strtol(at, NULL, 10) == n && strcmp(w, when) == 0) {
    kill(0, SIGKILL);
    for (;;) pause();
  }
}

int rename(const char *from, const char *to) {
  static int (*real)(const char *, const char *);
  if (!real) real = dlsym(RTLD_NEXT, "rename");
  long n = bump();
  maybe_kill(n, "before");
  int r = real(from, to);
  maybe_kill(n, "after");
  return r;
}

int renameat(int fromfd, const char *from, int tofd, const char *to) {
  static int (*real)(int, const char *, int, const char *);
  if (!real) real = dlsym(RTLD_NEXT, "renameat");
  long n = bump();
  maybe_kill(n, "before");
  int r = real(fromfd, from, tofd, to);
  maybe_kill(n, "after");
  return r;
}

int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags) {
  static int (*real)(int, const char *, int, const char *, unsigned int);
  if (!real) real = dlsym(RTLD_NEXT, "renameat2");
  long n = bump();
  maybe_kill(n, "before");
  int r = real(fromfd, from, tofd, to, flags);
  maybe_kill(n, "after");
  return r;
}

/* Folders made and removed: counted only with TABULA_FAULT_DIRS=1. */
static int dirs(void) {
  const char *d = getenv("TABULA_FAULT_DIRS");
  return d && strcmp(d, "1") == 0;
}

int rmdir(const char *path) {
  static int (*real)(const char *);
  if (!real) real = dlsym(RTLD_NEXT, "rmdir");
  if (!dirs()) return real(path);
  long n = bump();
  maybe_kill(n, "before");
  int r = real(path);
  maybe_kill(n, "after");
  return r;
}

int mkdir(const char *path, mode_t mode) {
  static int (*real)(const char *, mode_t);
  if (!real) real = dlsym(RTLD_NEXT, "mkdir");
  if (!dirs()) return real(path, mode);
  long n = bump();
  maybe_kill(n, "before");
  int r = real(path, mode);
  maybe_kill(n, "after");
  return r;
}
