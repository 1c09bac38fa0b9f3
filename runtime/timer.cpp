// timer.cpp — see timer.h. A 4-ary min-heap per P (as Go's timers).
#include "runtime/timer.h"

#include <cstring>

#include "runtime/os.h"
#include "runtime/p.h"
#include "runtime/rawlog.h"

namespace gmp {

static void heap_set(TimerHeap* h, int32_t i, Timer* t) {
  h->heap[i] = t;
  t->index = i;
}

static void sift_up(TimerHeap* h, int32_t i) {
  Timer* t = h->heap[i];
  while (i > 0) {
    int32_t parent = (i - 1) / 4;
    if (h->heap[parent]->when <= t->when) break;
    heap_set(h, i, h->heap[parent]);
    i = parent;
  }
  heap_set(h, i, t);
}

static void sift_down(TimerHeap* h, int32_t i) {
  Timer* t = h->heap[i];
  for (;;) {
    int32_t c = 4 * i + 1;
    if (c >= h->len) break;
    int32_t best = c;
    for (int32_t k = c + 1; k < c + 4 && k < h->len; k++)
      if (h->heap[k]->when < h->heap[best]->when) best = k;
    if (h->heap[best]->when >= t->when) break;
    heap_set(h, i, h->heap[best]);
    i = best;
  }
  heap_set(h, i, t);
}

void heap_push(TimerHeap* h, Timer* t, P* owner) {
  if (h->len == h->cap) {
    int32_t ncap = h->cap ? h->cap * 2 : 64;
    auto* n = static_cast<Timer**>(os::mmap_anon(sizeof(Timer*) * ncap, false));
    if (!n) fatal("out of memory growing a timer heap");
    if (h->heap) {
      memcpy(n, h->heap, sizeof(Timer*) * h->len);
      os::munmap(h->heap, sizeof(Timer*) * h->cap);
    }
    h->heap = n;
    h->cap = ncap;
  }
  t->p = owner;
  heap_set(h, h->len++, t);
  sift_up(h, t->index);
}

void heap_remove(TimerHeap* h, Timer* t) {
  int32_t i = t->index;
  Timer* last = h->heap[--h->len];
  if (i != h->len) {
    heap_set(h, i, last);
    sift_up(h, i);
    sift_down(h, last->index);
  }
  t->index = -1;
  t->p = nullptr;
}

Timer* heap_pop(TimerHeap* h) {
  if (h->len == 0) return nullptr;
  Timer* t = h->heap[0];
  heap_remove(h, t);
  return t;
}

// timer0 is seq_cst: an M that publishes a timer and then reads nmspinning
// or lastpoll (wake_netpoller) must not have the two reordered, or a spinner
// that is about to give up could miss the timer while we count on it.
static void update_timer0(P* p) {
  p->timer0.store(p->timers.len ? p->timers.heap[0]->when : 0, std::memory_order_seq_cst);
}

bool timer_add(P* p, Timer* t) {
  Guard<SpinLock> g(p->timer_lock);
  if (t->state.load(std::memory_order_relaxed) != Timer::kIdle) fatal("timer_add: timer already armed");
  t->state.store(Timer::kInHeap, std::memory_order_relaxed);
  heap_push(&p->timers, t, p);
  update_timer0(p);
  return t->index == 0;
}

bool timer_del(Timer* t) {
  for (;;) {
    uint32_t st = t->state.load(std::memory_order_acquire);
    if (st == Timer::kIdle) return false;
    if (st == Timer::kRunning) {  // callback in progress: wait for it (it is short)
      __builtin_ia32_pause();
      continue;
    }
    P* p = t->p;
    if (p == nullptr) continue;
    Guard<SpinLock> g(p->timer_lock);
    if (t->p != p || t->state.load(std::memory_order_relaxed) != Timer::kInHeap) continue;
    heap_remove(&p->timers, t);
    t->state.store(Timer::kIdle, std::memory_order_release);
    update_timer0(p);
    return true;
  }
}

int64_t check_timers(P* p, int64_t now) {
  int64_t next = p->timer0.load(std::memory_order_acquire);
  if (next == 0 || next > now) return next;
  for (;;) {
    Timer* t;
    {
      Guard<SpinLock> g(p->timer_lock);
      if (p->timers.len == 0 || p->timers.heap[0]->when > now) {
        update_timer0(p);
        return p->timers.len ? p->timers.heap[0]->when : 0;
      }
      t = heap_pop(&p->timers);
      t->state.store(Timer::kRunning, std::memory_order_relaxed);
      update_timer0(p);
    }
    // Copy out what the callback needs: once state is Idle the owner may
    // re-arm or free the timer.
    auto fn = t->fn;
    void* arg = t->arg;
    uint64_t seq = t->seq;
    fn(arg, seq);
    t->state.store(Timer::kIdle, std::memory_order_release);
  }
}

}  // namespace gmp
