/* A small, deterministic SQLite workload for the corpus: an in-memory database, a few tables,
 * inserts inside a transaction, joins, aggregates, an index, a recursive CTE and string functions.
 * Every result row is printed, so an instrumented build must reproduce this output exactly. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static int print_row(void *unused, int ncols, char **values, char **names) {
    (void)unused; (void)names;
    for (int i = 0; i < ncols; i++)
        printf("%s%s", i ? "|" : "", values[i] ? values[i] : "NULL");
    printf("\n");
    return 0;
}

static void exec(sqlite3 *db, const char *sql) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK) {
        printf("sql error: %s\n", err);
        sqlite3_free(err);
        exit(1);
    }
}

int main(int argc, char **argv) {
    int rows = argc > 1 ? atoi(argv[1]) : 200;
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        printf("cannot open database\n");
        return 1;
    }
    printf("sqlite %s\n", sqlite3_libversion());
    exec(db, "CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT, age INTEGER, city INTEGER);"
             "CREATE TABLE city(id INTEGER PRIMARY KEY, name TEXT);"
             "INSERT INTO city VALUES (0,'Lisbon'),(1,'Oslo'),(2,'Quito'),(3,'Hanoi');");
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT INTO person(name, age, city) VALUES (?1, ?2, ?3)", -1, &ins, NULL);
    exec(db, "BEGIN");
    unsigned seed = 12345;
    for (int i = 0; i < rows; i++) {
        char name[32];
        seed = seed * 1103515245u + 12345u;
        snprintf(name, sizeof name, "p%04d-%c", i, 'a' + (int)(seed >> 16) % 26);
        sqlite3_bind_text(ins, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 2, 18 + (int)((seed >> 8) % 60));
        sqlite3_bind_int(ins, 3, (int)(seed >> 4) % 4);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    exec(db, "COMMIT");
    exec(db, "CREATE INDEX person_age ON person(age)");
    exec(db, "SELECT count(*), min(age), max(age), round(avg(age), 2) FROM person");
    exec(db, "SELECT c.name, count(*), sum(p.age) FROM person p JOIN city c ON p.city = c.id "
             "GROUP BY c.name ORDER BY c.name");
    exec(db, "SELECT name, age FROM person WHERE age BETWEEN 30 AND 32 ORDER BY age, name LIMIT 5");
    exec(db, "SELECT upper(substr(name, 1, 5)) || '!', length(name), instr(name, '-') "
             "FROM person ORDER BY id DESC LIMIT 3");
    exec(db, "WITH RECURSIVE fib(n, a, b) AS (SELECT 1, 0, 1 UNION ALL "
             "SELECT n + 1, b, a + b FROM fib WHERE n < 20) SELECT group_concat(a, ',') FROM fib");
    exec(db, "SELECT printf('%.3f', sum(age * 1.0 / (id + 1))) FROM person");
    exec(db, "UPDATE person SET age = age + 1 WHERE city = 2; "
             "DELETE FROM person WHERE age > 70; SELECT changes(), total_changes()");
    exec(db, "SELECT city, count(*) FROM person GROUP BY city HAVING count(*) > 1 ORDER BY 2 DESC, 1");
    sqlite3_close(db);
    return 0;
}
