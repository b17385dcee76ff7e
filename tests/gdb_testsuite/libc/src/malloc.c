/* A first-fit heap between the end of the stack (guest.ld's __stack_top) and the end of RAM.
 *
 * Each block has a one-word header holding its size; freed blocks go on a singly linked list
 * and are reused whole. That is enough for test programs and for gdb, which calls malloc in
 * the inferior to place strings and arrays it passes to inferior calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RAM_END 0x04000000u /* 64 MiB at 0 */
#define ALIGN 16u

struct block {
    size_t size;          /* usable bytes after the header */
    struct block *next;   /* only while on the free list */
};

extern char __stack_top[];
static char *heap_next;
static struct block *free_list;

static size_t header_size(void)
{
    return (sizeof(struct block) + ALIGN - 1) & ~(ALIGN - 1);
}

void *malloc(size_t size)
{
    size = (size + ALIGN - 1) & ~(ALIGN - 1);
    for (struct block **link = &free_list; *link; link = &(*link)->next) {
        struct block *found = *link;
        if (found->size >= size) {
            *link = found->next;
            return (char *)found + header_size();
        }
    }
    if (!heap_next)
        heap_next = (char *)(((size_t)__stack_top + ALIGN - 1) & ~(ALIGN - 1));
    if (size > RAM_END - (size_t)heap_next - header_size()) {
        errno = ENOMEM;
        return 0;
    }
    struct block *fresh = (struct block *)heap_next;
    fresh->size = size;
    heap_next += header_size() + size;
    return (char *)fresh + header_size();
}

void free(void *ptr)
{
    if (!ptr)
        return;
    struct block *freed = (struct block *)((char *)ptr - header_size());
    freed->next = free_list;
    free_list = freed;
}

void *calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size) {
        errno = ENOMEM;
        return 0;
    }
    void *ptr = malloc(count * size);
    if (ptr)
        memset(ptr, 0, count * size);
    return ptr;
}

void *realloc(void *ptr, size_t size)
{
    if (!ptr)
        return malloc(size);
    size_t old = ((struct block *)((char *)ptr - header_size()))->size;
    if (size <= old)
        return ptr;
    void *grown = malloc(size);
    if (grown) {
        memcpy(grown, ptr, old);
        free(ptr);
    }
    return grown;
}
