/* The overhead benchmark's application: compute-bound (about 1 s on wasmtime uninstrumented) with a
 * realistic mix of calls, conditional branches, loops, loads and stores: a pseudo-random generator,
 * recursive quicksort, trial-division primes and Collatz lengths.  Prints checksums so every
 * instrumented variant can be checked for unchanged behaviour. */
#include <stdint.h>
#include <stdio.h>

#define N 20000
#define ROUNDS 240

static uint32_t seed = 12345;
static int32_t data[N];

__attribute__((noinline)) static uint32_t next_rand(void) {
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

__attribute__((noinline)) static void swap(int32_t *a, int32_t *b) {
    int32_t t = *a;
    *a = *b;
    *b = t;
}

__attribute__((noinline)) static void quicksort(int32_t *a, int lo, int hi) {
    while (lo < hi) {
        int32_t pivot = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) swap(&a[i++], &a[j--]);
        }
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

__attribute__((noinline)) static int is_prime(uint32_t n) {
    if (n < 2) return 0;
    if (n % 2 == 0) return n == 2;
    for (uint32_t d = 3; d * d <= n; d += 2)
        if (n % d == 0) return 0;
    return 1;
}

__attribute__((noinline)) static uint32_t collatz_len(uint64_t n) {
    uint32_t steps = 0;
    while (n != 1) {
        n = (n & 1) ? 3 * n + 1 : n / 2;
        steps++;
    }
    return steps;
}

int main(void) {
    uint64_t sorted = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < N; i++) data[i] = (int32_t)(next_rand() % 1000000);
        quicksort(data, 0, N - 1);
        for (int i = 0; i < N; i += 97) sorted = sorted * 31 + (uint32_t)data[i];
    }
    uint32_t primes = 0;
    for (uint32_t n = 0; n < 3200000; n++) primes += is_prime(n);
    uint64_t steps = 0;
    for (uint64_t n = 1; n < 2200000; n++) steps += collatz_len(n);
    printf("sorted checksum %llu\nprimes %u\ncollatz steps %llu\n", (unsigned long long)sorted, primes,
           (unsigned long long)steps);
    return 0;
}
