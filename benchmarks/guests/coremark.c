/* CoreMark's workload as a bare-metal benchmark guest: the linked list (find, reverse, merge
 * sort, remove and undo), the matrix operations, the number-recognising state machine and the
 * CRC-16 that ties them together, as EEMBC CoreMark 1.0 defines them (github.com/eembc/coremark),
 * rewritten here for crt0 and scripts/bench.py; the algorithms, data layouts and seeds are
 * CoreMark's, so the CRCs it publishes for its standard seeds hold.
 *
 * The "2K" configuration: 2000 bytes of static data, a third per algorithm. The seeds are
 * volatile words (CoreMark's SEED_VOLATILE): 0, 0, 0x66 is its performance run and
 * 0x3415, 0x3415, 0x66 its validation run; `rounds` is the iteration count. After the run the
 * list, matrix and state CRCs of the first iteration are checked against `known_crcs` (bits 0-2
 * of `failed`; bit 3: seeds with no known CRCs), as CoreMark's main does, so a wrong result of
 * the vCPU fails the self-check. Each iteration's running CRC goes to checkpoint().
 *
 * CoreMark compiles its parts as separate files; the functions one part calls in another are
 * `noipa` here, so gcc neither inlines nor specialises them across those lines either. */
typedef signed short s16;
typedef unsigned short u16;
typedef signed int s32;
typedef unsigned int u32;
typedef unsigned char u8;

extern volatile unsigned rounds;
void checkpoint(unsigned value);
void check(unsigned bit, int ok);
int verdict(void);

#define UNIT_ENTRY __attribute__((noipa))

/* In .data even when 0: crt0 clears .bss, and the tests write the seeds before the run. */
#define DATA __attribute__((section(".data")))
DATA volatile s32 seed1_volatile = 0, seed2_volatile = 0, seed3_volatile = 0x66;

#define DATA_SIZE 2000
#define ALGORITHMS 3

/* --- the CRC (CoreMark's core_util.c) ------------------------------------------------------ */

/* CRC-16 with the reflected polynomial 0xA001, one bit at a time. */
UNIT_ENTRY u16 crcu8(u8 data, u16 crc)
{
    for (int bit = 0; bit < 8; bit++) {
        unsigned low = (data ^ crc) & 1;
        data >>= 1;
        if (low)
            crc ^= 0x4002;
        crc >>= 1;
        if (low)
            crc |= 0x8000;
    }
    return crc;
}

UNIT_ENTRY u16 crcu16(u16 value, u16 crc)
{
    return crcu8((u8)(value >> 8), crcu8((u8)value, crc));
}

UNIT_ENTRY u16 crc16(s16 value, u16 crc)
{
    return crcu16((u16)value, crc);
}

UNIT_ENTRY u16 crcu32(u32 value, u16 crc)
{
    return crc16((s16)(value >> 16), crc16((s16)value, crc));
}

/* --- the state machine (core_state.c) ------------------------------------------------------ */

enum state { START, INVALID, S1, S2, INT, FLOAT, EXPONENT, SCIENTIFIC, STATES };

static const char *const int_patterns[4] = { "5012", "1234", "-874", "+122" };
static const char *const float_patterns[4] = { "35.54400", ".1234500", "-110.700", "+0.64400" };
static const char *const sci_patterns[4] = { "5.500e+3", "-.123e-2", "-87e+832", "+0.6e-12" };
static const char *const bad_patterns[4] = { "T0.3e-1F", "-T.T++Tq", "1T3.4e4z", "34.0e-T^" };

/* Fill `size` bytes with comma-separated numbers of every kind (and invalid ones), chosen by
 * `seed`, then zeros. */
UNIT_ENTRY void state_init(u32 size, s16 seed, u8 *p)
{
    u32 total = 0, next = 0;
    const char *pattern = 0;
    size--;
    while (total + next + 1 < size) {
        if (next > 0) {
            for (u32 i = 0; i < next; i++)
                p[total + i] = (u8)pattern[i];
            p[total + next] = ',';
            total += next + 1;
        }
        seed++;
        unsigned which = (seed >> 3) & 3;
        switch (seed & 7) {
        case 0: case 1: case 2:
            pattern = int_patterns[which];
            next = 4;
            break;
        case 3: case 4:
            pattern = float_patterns[which];
            next = 8;
            break;
        case 5: case 6:
            pattern = sci_patterns[which];
            next = 8;
            break;
        default:
            pattern = bad_patterns[which];
            next = 8;
            break;
        }
    }
    for (size++; total < size; total++)
        p[total] = 0;
}

static int is_digit(u8 c)
{
    return (c >= '0') & (c <= '9');
}

/* Scan one token from *text up to a comma (or an invalid character), counting transitions;
 * the state it ended in. */
static enum state next_token(u8 **text, u32 *transitions)
{
    u8 *s = *text;
    enum state state = START;
    for (; *s && state != INVALID; s++) {
        u8 c = *s;
        if (c == ',') {
            s++;
            break;
        }
        switch (state) {
        case START:
            if (is_digit(c))
                state = INT;
            else if (c == '+' || c == '-')
                state = S1;
            else if (c == '.')
                state = FLOAT;
            else {
                state = INVALID;
                transitions[INVALID]++;
            }
            transitions[START]++;
            break;
        case S1:
            state = is_digit(c) ? INT : c == '.' ? FLOAT : INVALID;
            transitions[S1]++;
            break;
        case INT:
            if (c == '.') {
                state = FLOAT;
                transitions[INT]++;
            } else if (!is_digit(c)) {
                state = INVALID;
                transitions[INT]++;
            }
            break;
        case FLOAT:
            if (c == 'E' || c == 'e') {
                state = S2;
                transitions[FLOAT]++;
            } else if (!is_digit(c)) {
                state = INVALID;
                transitions[FLOAT]++;
            }
            break;
        case S2:
            state = c == '+' || c == '-' ? EXPONENT : INVALID;
            transitions[S2]++;
            break;
        case EXPONENT:
            state = is_digit(c) ? SCIENTIFIC : INVALID;
            transitions[EXPONENT]++;
            break;
        case SCIENTIFIC:
            if (!is_digit(c)) {
                state = INVALID;
                transitions[INVALID]++;
            }
            break;
        default:
            break;
        }
    }
    *text = s;
    return state;
}

/* XOR every `step`th byte but commas with `key`. */
static void corrupt(u8 *block, u32 size, s16 step, s16 key)
{
    for (u8 *p = block; p < block + size; p += step)
        if (*p != ',')
            *p ^= (u8)key;
}

/* Run the machine over the input, corrupt it with seed1, run again, undo with seed2; the CRC
 * of the final states and transition counts. */
UNIT_ENTRY u16 state_bench(u32 size, u8 *block, s16 seed1, s16 seed2, s16 step, u16 crc)
{
    u32 finals[STATES], transitions[STATES];
    for (int i = 0; i < STATES; i++)
        finals[i] = transitions[i] = 0;
    for (int pass = 0; pass < 2; pass++) {
        u8 *p = block;
        while (*p)
            finals[next_token(&p, transitions)]++;
        corrupt(block, size, step, pass ? seed2 : seed1);
    }
    for (int i = 0; i < STATES; i++) {
        crc = crcu32(finals[i], crc);
        crc = crcu32(transitions[i], crc);
    }
    return crc;
}

/* --- the matrices (core_matrix.c) ----------------------------------------------------------- */

typedef s16 matdat;
typedef s32 matres;

struct matrices {
    int n;
    matdat *a, *b;
    matres *c;
};

static void *align4(void *p)
{
    return (void *)(4 + (((u32)p - 1) & ~3u));
}

/* A and B from the seed (B's values up to 16 bits, A's up to 8); the matrix order fits in
 * `size`. */
UNIT_ENTRY u32 matrix_init(u32 size, void *block, s32 seed, struct matrices *m)
{
    u32 n = 0, i = 0, j = 0;
    s32 order = 1;
    if (seed == 0)
        seed = 1;
    while (j < size) {
        i++;
        j = i * i * 2 * 4;
    }
    n = i - 1;
    matdat *a = align4(block), *b = a + n * n;
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            seed = (order * seed) % 65536;
            matdat value = (matdat)(seed + order);
            value = (matdat)(value & 0xFFFF);
            b[i * n + j] = value;
            value = (matdat)((value + order) & 0xFF);
            a[i * n + j] = value;
            order++;
        }
    m->a = a;
    m->b = b;
    m->c = align4(b + n * n);
    m->n = (int)n;
    return n;
}

/* Add 10 whenever the running sum passes `limit` (and start again), else 1 when an element is
 * bigger than the one before. */
static s16 matrix_sum(u32 n, const matres *c, matdat limit)
{
    matres sum = 0, prev = 0;
    s16 score = 0;
    for (u32 i = 0; i < n * n; i++) {
        matres cur = c[i];
        sum += cur;
        if (sum > limit) {
            score += 10;
            sum = 0;
        } else {
            score += cur > prev;
        }
        prev = cur;
    }
    return score;
}

static void matrix_add_const(u32 n, matdat *a, matdat value)
{
    for (u32 i = 0; i < n; i++)
        for (u32 j = 0; j < n; j++)
            a[i * n + j] += value;
}

static void matrix_mul_const(u32 n, matres *c, const matdat *a, matdat value)
{
    for (u32 i = 0; i < n; i++)
        for (u32 j = 0; j < n; j++)
            c[i * n + j] = (matres)a[i * n + j] * (matres)value;
}

static void matrix_mul_vect(u32 n, matres *c, const matdat *a, const matdat *b)
{
    for (u32 i = 0; i < n; i++) {
        c[i] = 0;
        for (u32 j = 0; j < n; j++)
            c[i] += (matres)a[i * n + j] * (matres)b[j];
    }
}

static void matrix_mul_matrix(u32 n, matres *c, const matdat *a, const matdat *b)
{
    for (u32 i = 0; i < n; i++)
        for (u32 j = 0; j < n; j++) {
            c[i * n + j] = 0;
            for (u32 k = 0; k < n; k++)
                c[i * n + j] += (matres)a[i * n + k] * (matres)b[k * n + j];
        }
}

#define BITS(x, from, count) (((x) >> (from)) & ~(0xFFFFFFFFu << (count)))

static void matrix_mul_bits(u32 n, matres *c, const matdat *a, const matdat *b)
{
    for (u32 i = 0; i < n; i++)
        for (u32 j = 0; j < n; j++) {
            c[i * n + j] = 0;
            for (u32 k = 0; k < n; k++) {
                matres product = (matres)a[i * n + k] * (matres)b[k * n + j];
                c[i * n + j] += BITS(product, 2, 4) * BITS(product, 5, 7);
            }
        }
}

/* The four products of A (shifted by `value` for the run, then back), each scored by
 * matrix_sum into the CRC. */
UNIT_ENTRY u16 matrix_bench(struct matrices *m, s16 value, u16 crc)
{
    u32 n = (u32)m->n;
    matdat limit = (matdat)(0xF000 | value);
    u16 local = 0;
    matrix_add_const(n, m->a, value);
    matrix_mul_const(n, m->c, m->a, value);
    local = crc16(matrix_sum(n, m->c, limit), local);
    matrix_mul_vect(n, m->c, m->a, m->b);
    local = crc16(matrix_sum(n, m->c, limit), local);
    matrix_mul_matrix(n, m->c, m->a, m->b);
    local = crc16(matrix_sum(n, m->c, limit), local);
    matrix_mul_bits(n, m->c, m->a, m->b);
    local = crc16(matrix_sum(n, m->c, limit), local);
    matrix_add_const(n, m->a, (matdat)-value);
    return crc16((s16)local, crc);
}

/* --- the list (core_list_join.c) ------------------------------------------------------------ */

struct item {
    s16 data16;   /* high byte: the original low byte; bit 7: cached; bits 0-2: operation */
    s16 idx;
};

struct node {
    struct node *next;
    struct item *info;
};

struct run {
    s16 seed1, seed2, seed3;
    void *block[ALGORITHMS + 1];
    u32 size;
    struct node *list;
    struct matrices mat;
    u16 crc, crc_list, crc_matrix, crc_state;
};

/* The item's 7-bit value: cached, or computed by the state machine or the matrices (which
 * also feed the run's CRC) and cached. */
static s16 item_value(s16 *pdata, struct run *run)
{
    s16 data = *pdata;
    if ((data >> 7) & 1)
        return data & 0x7F;
    s16 operation = data & 7;
    s16 key = (data >> 3) & 0xF;
    s16 value;
    key |= key << 4;
    switch (operation) {
    case 0:
        if (key < 0x22)
            key = 0x22;
        value = (s16)state_bench(run->size, run->block[3], run->seed1, run->seed2, key, run->crc);
        if (run->crc_state == 0)
            run->crc_state = (u16)value;
        break;
    case 1:
        value = (s16)matrix_bench(&run->mat, key, run->crc);
        if (run->crc_matrix == 0)
            run->crc_matrix = (u16)value;
        break;
    default:
        value = data;
        break;
    }
    run->crc = crcu16((u16)value, run->crc);
    value &= 0x7F;
    *pdata = (s16)((data & 0xFF00) | 0x80 | value);
    return value;
}

typedef s32 (*compare_fn)(struct item *a, struct item *b, struct run *run);

static s32 by_value(struct item *a, struct item *b, struct run *run)
{
    s16 x = item_value(&a->data16, run);
    s16 y = item_value(&b->data16, run);
    return x - y;
}

/* By index; without a run it also restores each item's data from its backup byte. */
static s32 by_index(struct item *a, struct item *b, struct run *run)
{
    if (run == 0) {
        a->data16 = (s16)((a->data16 & 0xFF00) | (0xFF & (a->data16 >> 8)));
        b->data16 = (s16)((b->data16 & 0xFF00) | (0xFF & (b->data16 >> 8)));
    }
    return a->idx - b->idx;
}

/* Bottom-up merge sort of a singly linked list, in place. */
static struct node *list_sort(struct node *list, compare_fn compare, struct run *run)
{
    for (s32 width = 1;; width *= 2) {
        struct node *p = list, *tail = 0;
        s32 merges = 0;
        list = 0;
        while (p) {
            struct node *q = p;
            s32 psize = 0, qsize = width;
            merges++;
            for (s32 i = 0; i < width; i++) {
                psize++;
                q = q->next;
                if (!q)
                    break;
            }
            while (psize > 0 || (qsize > 0 && q)) {
                struct node *e;
                if (psize == 0) {
                    e = q;
                    q = q->next;
                    qsize--;
                } else if (qsize == 0 || !q || compare(p->info, q->info, run) <= 0) {
                    e = p;
                    p = p->next;
                    psize--;
                } else {
                    e = q;
                    q = q->next;
                    qsize--;
                }
                if (tail)
                    tail->next = e;
                else
                    list = e;
                tail = e;
            }
            p = q;
        }
        tail->next = 0;
        if (merges <= 1)
            return list;
    }
}

/* The first node whose index is `find->idx` (when that is not negative), else whose data's low
 * byte is `find->data16`. */
static struct node *list_find(struct node *list, const struct item *find)
{
    if (find->idx >= 0) {
        while (list && list->info->idx != find->idx)
            list = list->next;
    } else {
        while (list && (list->info->data16 & 0xFF) != find->data16)
            list = list->next;
    }
    return list;
}

static struct node *list_reverse(struct node *list)
{
    struct node *done = 0;
    while (list) {
        struct node *next = list->next;
        list->next = done;
        done = list;
        list = next;
    }
    return done;
}

/* Unlink the node after `item` by swapping its data into `item`; the unlinked node. */
static struct node *list_remove(struct node *item)
{
    struct node *gone = item->next;
    struct item *info = item->info;
    item->info = gone->info;
    gone->info = info;
    item->next = gone->next;
    gone->next = 0;
    return gone;
}

static void list_undo_remove(struct node *gone, struct node *item)
{
    struct item *info = gone->info;
    gone->info = item->info;
    item->info = info;
    gone->next = item->next;
    item->next = gone;
}

struct pool {
    struct node *node, *node_end;
    struct item *item, *item_end;
};

static struct node *list_insert(struct node *after, const struct item *data, struct pool *pool)
{
    if (pool->node + 1 >= pool->node_end || pool->item + 1 >= pool->item_end)
        return 0;
    struct node *node = pool->node++;
    node->next = after->next;
    after->next = node;
    node->info = pool->item++;
    node->info->data16 = data->data16;
    node->info->idx = data->idx;
    return node;
}

/* A head and a tail sentinel with items between: the first fifth in index order, the rest
 * pseudo-random, sorted by index. */
UNIT_ENTRY struct node *list_init(u32 size, struct node *block, s16 seed)
{
    u32 count = size / (16 + sizeof(struct item)) - 2;   /* as if pointers were 64-bit */
    struct pool pool = { block, block + count, (struct item *)(block + count), 0 };
    struct node *list = pool.node++;
    struct item data;
    pool.item_end = pool.item + count;
    list->next = 0;
    list->info = pool.item++;
    list->info->idx = 0;
    list->info->data16 = (s16)0x8080;
    data.idx = 0x7FFF;
    data.data16 = (s16)0xFFFF;
    list_insert(list, &data, &pool);
    for (u32 i = 0; i < count; i++) {
        u16 pattern = (u16)(seed ^ i) & 0xF;
        u16 byte = (u16)(pattern << 3 | (i & 7));
        data.data16 = (s16)(byte << 8 | byte);
        list_insert(list, &data, &pool);
    }
    u32 i = 1;
    for (struct node *node = list->next; node->next; node = node->next) {
        if (i < count / 5) {
            node->info->idx = (s16)i++;
        } else {
            u16 mixed = (u16)(i++ ^ seed);
            node->info->idx = (s16)(0x3FFF & (((i & 7) << 8) | mixed));
        }
    }
    return list_sort(list, by_index, 0);
}

/* Finds that reshuffle the list, a sort by value (which runs the other algorithms), a remove,
 * CRCs over the data, and a sort by index that puts the list back as it was. */
UNIT_ENTRY u16 list_bench(struct run *run, s16 finder_index)
{
    u16 crc = 0, found = 0, missed = 0;
    struct node *list = run->list;
    struct item find = { 0, finder_index };
    for (s16 i = 0; i < run->seed3; i++) {
        find.data16 = (s16)(i & 0xFF);
        struct node *hit = list_find(list, &find);
        list = list_reverse(list);
        if (hit == 0) {
            missed++;
            crc += (list->next->info->data16 >> 8) & 1;
        } else {
            found++;
            if (hit->info->data16 & 1)
                crc += (hit->info->data16 >> 9) & 1;
            if (hit->next) {                 /* move the next item to the front */
                struct node *moved = hit->next;
                hit->next = moved->next;
                moved->next = list->next;
                list->next = moved;
            }
        }
        if (find.idx >= 0)
            find.idx++;
    }
    crc += found * 4 - missed;
    if (finder_index > 0)
        list = list_sort(list, by_value, run);
    struct node *gone = list_remove(list->next);
    struct node *node = list_find(list, &find);
    if (!node)
        node = list->next;
    for (; node; node = node->next)         /* CoreMark CRCs the head's data each time */
        crc = crc16(list->info->data16, crc);
    list_undo_remove(gone, list->next);
    list = list_sort(list, by_index, 0);
    for (node = list->next; node; node = node->next)
        crc = crc16(list->info->data16, crc);
    return crc;
}

/* --- the run (core_main.c) ------------------------------------------------------------------ */

/* CoreMark's published CRCs of the first iteration (list, matrix, state) for its 2K
 * performance and validation seeds; a global, so that the tests can corrupt one. */
u16 known_crcs[2][3] = { { 0xE714, 0x1FD7, 0x8E3A }, { 0xE3C1, 0x0747, 0x8D84 } };

static u8 data_block[DATA_SIZE] __attribute__((aligned(8)));

int main(void)
{
    struct run run = { (s16)seed1_volatile, (s16)seed2_volatile, (s16)seed3_volatile };
    run.size = DATA_SIZE / ALGORITHMS;
    for (int i = 0; i < ALGORITHMS; i++)
        run.block[i + 1] = data_block + run.size * i;
    run.list = list_init(run.size, run.block[1], run.seed1);
    matrix_init(run.size, run.block[2], (s32)run.seed1 | (s32)run.seed2 << 16, &run.mat);
    state_init(run.size, run.seed1, run.block[3]);

    for (unsigned i = 0; i < rounds; i++) {
        run.crc = crcu16(list_bench(&run, 1), run.crc);
        run.crc = crcu16(list_bench(&run, -1), run.crc);
        if (i == 0)
            run.crc_list = run.crc;
        checkpoint(run.crc);
    }

    u16 seeds = crc16(run.seed1, 0);
    seeds = crc16(run.seed2, seeds);
    seeds = crc16(run.seed3, seeds);
    seeds = crc16((s16)run.size, seeds);
    int known = seeds == 0xE9F5 ? 0 : seeds == 0x18F2 ? 1 : -1;
    check(3, known >= 0);
    if (known >= 0) {
        check(0, run.crc_list == known_crcs[known][0]);
        check(1, run.crc_matrix == known_crcs[known][1]);
        check(2, run.crc_state == known_crcs[known][2]);
    }
    return verdict();
}
