/* String and allocation heavy: builds words with malloc/realloc, reverses and upper-cases them,
 * joins them with a growing buffer, counts vowels through a table of function pointers, and
 * frees everything. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*classifier)(int);

static int is_vowel(int c) { return strchr("aeiou", tolower(c)) != NULL; }
static int is_upper(int c) { return isupper(c); }
static int is_digit(int c) { return isdigit(c); }

static const struct { const char *name; classifier test; } classes[] = {
    {"vowels", is_vowel}, {"upper", is_upper}, {"digits", is_digit},
};

static char *make_word(int i) {
    static const char *syllables[] = {"ka", "lo", "mi", "nu", "pe", "ra", "si", "to"};
    char *word = NULL;
    size_t len = 0;
    for (int k = 0; k < 1 + i % 4; k++) {
        const char *s = syllables[(i * 7 + k * 3) % 8];
        word = realloc(word, len + strlen(s) + 1);
        memcpy(word + len, s, strlen(s) + 1);
        len += strlen(s);
    }
    return word;
}

static void reverse(char *s) {
    for (size_t i = 0, j = strlen(s); i + 1 < j; i++, j--) {
        char t = s[i];
        s[i] = s[j - 1];
        s[j - 1] = t;
    }
}

int main(void) {
    enum { WORDS = 300 };
    char *words[WORDS];
    for (int i = 0; i < WORDS; i++) {
        words[i] = make_word(i);
        if (i % 3 == 0)
            reverse(words[i]);
        if (i % 5 == 0)
            for (char *p = words[i]; *p; p++)
                *p = (char)toupper(*p);
    }
    size_t cap = 16, len = 0;
    char *text = malloc(cap);
    text[0] = 0;
    for (int i = 0; i < WORDS; i++) {
        char num[16];
        int n = snprintf(num, sizeof num, "%s%d", i ? " " : "", i % 10);
        size_t need = len + strlen(words[i]) + (size_t)n + 1;
        while (cap < need)
            text = realloc(text, cap *= 2);
        len += (size_t)sprintf(text + len, "%s%s", num, words[i]);
    }
    printf("text: %zu bytes, capacity %zu\n", len, cap);
    printf("start: %.60s\n", text);
    for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
        int hits = 0;
        for (size_t i = 0; i < len; i++)
            hits += classes[c].test((unsigned char)text[i]) != 0;
        printf("%s: %d\n", classes[c].name, hits);
    }
    char *longest = words[0];
    for (int i = 1; i < WORDS; i++)
        if (strlen(words[i]) > strlen(longest) || (strlen(words[i]) == strlen(longest) && strcmp(words[i], longest) < 0))
            longest = words[i];
    printf("longest: %s\n", longest);
    for (int i = 0; i < WORDS; i++)
        free(words[i]);
    free(text);
    return 0;
}
