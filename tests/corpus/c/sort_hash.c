/* Sorting and hashing: qsort through a comparator (indirect calls), an open-addressing hash table,
 * and a histogram.  Deterministic: a fixed linear congruential generator feeds every step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned state = 2463534242u;
static unsigned next_random(void) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

static int ascending(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int descending(const void *a, const void *b) { return ascending(b, a); }

#define SLOTS 4096
static int keys[SLOTS];
static int counts[SLOTS];

static unsigned hash(int key) {
    unsigned h = (unsigned)key * 2654435761u;
    return h >> 20;
}

static void count(int key) {
    unsigned slot = hash(key) % SLOTS;
    while (counts[slot] && keys[slot] != key)
        slot = (slot + 1) % SLOTS;
    keys[slot] = key;
    counts[slot]++;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    int *values = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++)
        values[i] = (int)(next_random() % 1000);
    int (*order)(const void *, const void *) = n % 2 ? descending : ascending;
    qsort(values, n, sizeof(int), order);
    printf("sorted %d values: first %d last %d median %d\n", n, values[0], values[n - 1], values[n / 2]);
    for (int i = 0; i < n; i++)
        count(values[i]);
    int distinct = 0, top = 0, top_key = -1;
    for (int i = 0; i < SLOTS; i++) {
        if (!counts[i])
            continue;
        distinct++;
        if (counts[i] > top || (counts[i] == top && keys[i] < top_key)) {
            top = counts[i];
            top_key = keys[i];
        }
    }
    printf("distinct %d, most frequent %d (%d times)\n", distinct, top_key, top);
    int buckets[10] = {0};
    for (int i = 0; i < n; i++)
        buckets[values[i] / 100]++;
    for (int i = 0; i < 10; i++)
        printf("%3d-%3d %s%d\n", i * 100, i * 100 + 99, "", buckets[i]);
    long checksum = 0;
    for (int i = 0; i < n; i++)
        checksum = checksum * 31 + values[i];
    printf("checksum %ld\n", checksum);
    free(values);
    return 0;
}
