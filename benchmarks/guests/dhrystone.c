/* Dhrystone 2.1 (Reinhold P. Weicker, 1988) as a bare-metal benchmark guest: its records,
 * enumerations, strings and arrays, procedures Proc_1..Proc_8 and functions Func_1..Func_3,
 * with the main loop and the end-of-run values the published program prints with their
 * "should be" values, rewritten here for crt0 and scripts/bench.py.
 *
 * A round is RUNS_PER_ROUND runs through the loop, `rounds` of them; after each round the
 * Dhrystone state is folded into checkpoint(). At the end every value the original prints is
 * checked against what it should be (one bit of `failed` each), so a
 * wrong result of the vCPU fails the self-check. Dhrystone's two source files are compiled
 * separately so that no procedure is inlined into another; every procedure is `noipa` here to
 * the same end. The two records are static instead of malloc'ed. */
extern volatile unsigned rounds;
void checkpoint(unsigned value);
void check(unsigned bit, int ok);
int verdict(void);
char *strcpy(char *dst, const char *src);
int strcmp(const char *a, const char *b);

#define PROC __attribute__((noipa))
#define RUNS_PER_ROUND 500

typedef enum { IDENT_1, IDENT_2, IDENT_3, IDENT_4, IDENT_5 } enumeration;
typedef int one_thirty;
typedef int one_fifty;
typedef char capital_letter;
typedef int boolean;
typedef char str_30[31];
typedef int arr_1_dim[50];
typedef int arr_2_dim[50][50];

typedef struct record {
    struct record *ptr_comp;
    enumeration discr;
    union {
        struct {
            enumeration enum_comp;
            int int_comp;
            char str_comp[31];
        } var_1;
        struct {
            enumeration e_comp_2;
            char str_2_comp[31];
        } var_2;
        struct {
            char ch_1_comp;
            char ch_2_comp;
        } var_3;
    } variant;
} rec_type, *rec_pointer;

rec_pointer ptr_glob, next_ptr_glob;
int int_glob;
boolean bool_glob;
char ch_1_glob, ch_2_glob;
int arr_1_glob[50];
int arr_2_glob[50][50];

static rec_type records[2];

/* The end-of-run values the original prints as "should be", in its order (the one that depends
 * on the number of runs as its offset); a global, so that the tests can corrupt one. */
int expected[] = { 5, 1, 'A', 'B', 7, 10, IDENT_1, IDENT_3, 17, IDENT_1, IDENT_2, 18, 5, 13, 7, IDENT_2 };

#define SOME_STRING "DHRYSTONE PROGRAM, SOME STRING"
#define FIRST_STRING "DHRYSTONE PROGRAM, 1'ST STRING"
#define SECOND_STRING "DHRYSTONE PROGRAM, 2'ND STRING"

PROC enumeration func_1(capital_letter ch_1_par_val, capital_letter ch_2_par_val);
PROC boolean func_2(str_30 str_1_par_ref, str_30 str_2_par_ref);
PROC boolean func_3(enumeration enum_par_val);
PROC void proc_6(enumeration enum_val_par, enumeration *enum_ref_par);
PROC void proc_7(one_fifty int_1_par_val, one_fifty int_2_par_val, one_fifty *int_par_ref);
PROC void proc_8(arr_1_dim arr_1_par_ref, arr_2_dim arr_2_par_ref, int int_1_par_val, int int_2_par_val);

/* --- dhry_1.c's procedures ------------------------------------------------------------------ */

PROC void proc_3(rec_pointer *ptr_ref_par)
{
    if (ptr_glob != 0)
        *ptr_ref_par = ptr_glob->ptr_comp;
    proc_7(10, int_glob, &ptr_glob->variant.var_1.int_comp);
}

PROC void proc_1(rec_pointer ptr_val_par)
{
    rec_pointer next_record = ptr_val_par->ptr_comp;
    *ptr_val_par->ptr_comp = *ptr_glob;
    ptr_val_par->variant.var_1.int_comp = 5;
    next_record->variant.var_1.int_comp = ptr_val_par->variant.var_1.int_comp;
    next_record->ptr_comp = ptr_val_par->ptr_comp;
    proc_3(&next_record->ptr_comp);
    if (next_record->discr == IDENT_1) {
        next_record->variant.var_1.int_comp = 6;
        proc_6(ptr_val_par->variant.var_1.enum_comp, &next_record->variant.var_1.enum_comp);
        next_record->ptr_comp = ptr_glob->ptr_comp;
        proc_7(next_record->variant.var_1.int_comp, 10, &next_record->variant.var_1.int_comp);
    } else {
        *ptr_val_par = *ptr_val_par->ptr_comp;
    }
}

PROC void proc_2(one_fifty *int_par_ref)
{
    one_fifty int_loc = *int_par_ref + 10;
    enumeration enum_loc = IDENT_2;
    do {
        if (ch_1_glob == 'A') {
            int_loc -= 1;
            *int_par_ref = int_loc - int_glob;
            enum_loc = IDENT_1;
        }
    } while (enum_loc != IDENT_1);
}

PROC void proc_4(void)
{
    boolean bool_loc = ch_1_glob == 'A';
    bool_glob = bool_loc | bool_glob;
    ch_2_glob = 'B';
}

PROC void proc_5(void)
{
    ch_1_glob = 'A';
    bool_glob = 0;
}

/* --- dhry_2.c's procedures and functions ---------------------------------------------------- */

PROC void proc_6(enumeration enum_val_par, enumeration *enum_ref_par)
{
    *enum_ref_par = enum_val_par;
    if (!func_3(enum_val_par))
        *enum_ref_par = IDENT_4;
    switch (enum_val_par) {
    case IDENT_1:
        *enum_ref_par = IDENT_1;
        break;
    case IDENT_2:
        *enum_ref_par = int_glob > 100 ? IDENT_1 : IDENT_4;
        break;
    case IDENT_3:
        *enum_ref_par = IDENT_2;
        break;
    case IDENT_4:
        break;
    case IDENT_5:
        *enum_ref_par = IDENT_3;
        break;
    }
}

PROC void proc_7(one_fifty int_1_par_val, one_fifty int_2_par_val, one_fifty *int_par_ref)
{
    one_fifty int_loc = int_1_par_val + 2;
    *int_par_ref = int_2_par_val + int_loc;
}

PROC void proc_8(arr_1_dim arr_1_par_ref, arr_2_dim arr_2_par_ref, int int_1_par_val, int int_2_par_val)
{
    one_fifty int_loc = int_1_par_val + 5;
    arr_1_par_ref[int_loc] = int_2_par_val;
    arr_1_par_ref[int_loc + 1] = arr_1_par_ref[int_loc];
    arr_1_par_ref[int_loc + 30] = int_loc;
    for (one_fifty int_index = int_loc; int_index <= int_loc + 1; ++int_index)
        arr_2_par_ref[int_loc][int_index] = int_loc;
    arr_2_par_ref[int_loc][int_loc - 1] += 1;
    arr_2_par_ref[int_loc + 20][int_loc] = arr_1_par_ref[int_loc];
    int_glob = 5;
}

PROC enumeration func_1(capital_letter ch_1_par_val, capital_letter ch_2_par_val)
{
    capital_letter ch_1_loc = ch_1_par_val;
    capital_letter ch_2_loc = ch_1_loc;
    if (ch_2_loc != ch_2_par_val)
        return IDENT_1;
    ch_1_glob = ch_1_loc;
    return IDENT_2;
}

PROC boolean func_2(str_30 str_1_par_ref, str_30 str_2_par_ref)
{
    one_thirty int_loc = 2;
    capital_letter ch_loc = 0;
    while (int_loc <= 2)
        if (func_1(str_1_par_ref[int_loc], str_2_par_ref[int_loc + 1]) == IDENT_1) {
            ch_loc = 'A';
            int_loc += 1;
        }
    if (ch_loc >= 'W' && ch_loc < 'Z')
        int_loc = 7;
    if (ch_loc == 'R')
        return 1;
    if (strcmp(str_1_par_ref, str_2_par_ref) > 0) {
        int_loc += 7;
        int_glob = int_loc;
        return 1;
    }
    return 0;
}

PROC boolean func_3(enumeration enum_par_val)
{
    enumeration enum_loc = enum_par_val;
    return enum_loc == IDENT_3;
}

/* --- the main program ----------------------------------------------------------------------- */

int main(void)
{
    one_fifty int_1_loc = 0, int_2_loc = 0, int_3_loc = 0;
    enumeration enum_loc = IDENT_1;
    str_30 str_1_loc, str_2_loc;
    int run_index = 1;
    int number_of_runs = (int)rounds * RUNS_PER_ROUND;

    next_ptr_glob = &records[0];
    ptr_glob = &records[1];
    ptr_glob->ptr_comp = next_ptr_glob;
    ptr_glob->discr = IDENT_1;
    ptr_glob->variant.var_1.enum_comp = IDENT_3;
    ptr_glob->variant.var_1.int_comp = 40;
    strcpy(ptr_glob->variant.var_1.str_comp, SOME_STRING);
    strcpy(str_1_loc, FIRST_STRING);
    arr_2_glob[8][7] = 10;

    for (unsigned round = 0; round < rounds; round++) {
        for (int end = run_index + RUNS_PER_ROUND; run_index < end; ++run_index) {
            proc_5();
            proc_4();
            int_1_loc = 2;
            int_2_loc = 3;
            strcpy(str_2_loc, SECOND_STRING);
            enum_loc = IDENT_2;
            bool_glob = !func_2(str_1_loc, str_2_loc);
            while (int_1_loc < int_2_loc) {
                int_3_loc = 5 * int_1_loc - int_2_loc;
                proc_7(int_1_loc, int_2_loc, &int_3_loc);
                int_1_loc += 1;
            }
            proc_8(arr_1_glob, arr_2_glob, int_1_loc, int_3_loc);
            proc_1(ptr_glob);
            for (capital_letter ch_index = 'A'; ch_index <= ch_2_glob; ++ch_index) {
                if (enum_loc == func_1(ch_index, 'C')) {
                    proc_6(IDENT_1, &enum_loc);
                    strcpy(str_2_loc, "DHRYSTONE PROGRAM, 3'RD STRING");
                    int_2_loc = run_index;
                    int_glob = run_index;
                }
            }
            int_2_loc = int_2_loc * int_1_loc;
            int_1_loc = int_2_loc / int_3_loc;
            int_2_loc = 7 * (int_2_loc - int_3_loc) - int_1_loc;
            proc_2(&int_1_loc);
        }
        checkpoint((unsigned)int_glob ^ (unsigned)arr_2_glob[8][7] << 8 ^ (unsigned)int_1_loc << 16
                   ^ (unsigned)ptr_glob->variant.var_1.int_comp << 24);
    }

    int values[] = { int_glob, bool_glob, ch_1_glob, ch_2_glob, arr_1_glob[8], arr_2_glob[8][7] - number_of_runs,
                     ptr_glob->discr, ptr_glob->variant.var_1.enum_comp, ptr_glob->variant.var_1.int_comp,
                     next_ptr_glob->discr, next_ptr_glob->variant.var_1.enum_comp,
                     next_ptr_glob->variant.var_1.int_comp, int_1_loc, int_2_loc, int_3_loc, enum_loc };
    unsigned n = 0;
    for (; n < sizeof values / sizeof values[0]; n++)
        check(n, values[n] == expected[n]);
    check(n++, next_ptr_glob->ptr_comp == ptr_glob->ptr_comp);
    check(n++, strcmp(ptr_glob->variant.var_1.str_comp, SOME_STRING) == 0);
    check(n++, strcmp(next_ptr_glob->variant.var_1.str_comp, SOME_STRING) == 0);
    check(n++, strcmp(str_1_loc, FIRST_STRING) == 0);
    check(n, strcmp(str_2_loc, SECOND_STRING) == 0);
    return verdict();
}
