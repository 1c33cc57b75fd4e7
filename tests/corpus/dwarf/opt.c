/* A -O2 -g program for the source-level tests: inlining and code motion make the line table jump
 * back and forth, which the readers must take as it comes. */
#include <stdio.h>

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 16777619u;
    }
    return h;
}

__attribute__((noinline)) static unsigned mix(unsigned a, unsigned b)
{
    return (a << 7) ^ (b >> 3) ^ (a * b);
}

int main(void)
{
    const char *words[] = {"alpha", "beta", "gamma", "delta"};
    unsigned acc = 0;
    for (int i = 0; i < 4; i++)
        acc = mix(acc, hash(words[i]));
    printf("%u\n", acc);
    return 0;
}
