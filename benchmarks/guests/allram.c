/* A guest that executes nearly all of its RAM: it writes code over the RAM above its stack, up to
 * `code_end` (set with an M packet; 16 MiB unless told), and runs it `passes` times. Each 32-byte
 * chunk of that code is a counted loop of `loops` rounds (a long one gets hot and is translated)
 * and a branch to the next chunk (a branch target seen once a pass); the last word returns. It is the
 * worst case for the server's code caches: every word of the RAM is an instruction, run, and
 * most are translated; the chunks' immediates differ, so that few words are alike.
 * scripts/bench.py and tests/vcpu/test_memory_bounds.py watch the server's memory while it runs;
 * main returns 0 when the code counted what it should. */
extern char __stack_top[];

volatile unsigned code_end = 16u << 20;
volatile unsigned passes = 2;
volatile unsigned loops = 100;   /* 1..32767 */

static const unsigned chunk[8] = {
    0x38800000,           /* li     r4, loops   */
    0x7c8903a6,           /* mtctr  r4          */
    0x38630001,           /* addi   r3, r3, 1   */
    0x4200fffc,           /* bdnz   .-4         */
    0x38630001,           /* addi   r3, r3, 1   */
    0x38630001,           /* addi   r3, r3, 1   */
    0x38630001,           /* addi   r3, r3, 1   */
    0x48000004,           /* b      .+4         */
};

int main(void)
{
    unsigned *start = (unsigned *)(((unsigned)__stack_top + 4095) & ~4095u);
    unsigned *end = (unsigned *)(code_end & ~31u);
    unsigned *p, rounds = loops, expected = 0;
    for (p = start; p + 8 <= end; p += 8) {
        unsigned step = ((unsigned)p >> 5 & 0x3FFF) + 1;
        for (int i = 0; i < 8; i++)
            p[i] = chunk[i];
        p[0] |= rounds;
        p[4] = p[5] = p[6] = 0x38630000 | step;   /* addi r3, r3, step */
        expected += rounds + 3 * step;
    }
    p[-1] = 0x4e800020;   /* the last chunk's branch becomes blr */
    __asm__ volatile("sync; isync" ::: "memory");
    unsigned (*code)(unsigned) = (unsigned (*)(unsigned))start;
    int bad = 0;
    for (unsigned pass = 0; pass < passes; pass++)
        bad |= code(0) != expected;
    return bad;
}
