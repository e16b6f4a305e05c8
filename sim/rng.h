/* SPDX-License-Identifier: MIT */
/*
 * Seeded pseudo-random numbers: xoshiro256** (Blackman & Vigna, 2018) with its
 * 256-bit state expanded from the 64-bit seed by splitmix64.  The same seed
 * gives the same sequence on every machine and compiler.  The state lives in
 * the world; nothing in iommusim calls rand() or reads the wall clock.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

struct sim_world;

struct sim_rng {
	uint64_t s[4];
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, bound) without modulo bias; bound 0 returns 0. */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t bound);

/* The world's generator. */
struct sim_rng *sim_world_rng(struct sim_world *w);

/*
 * Fill @buf with @len bytes drawn from the world's generator (each draw
 * little-endian, 8 bytes at a time): a scenario's `pattern: random`.  The
 * draw is traced with the bytes' FNV-1a digest, so a run shows what it drew
 * and two seeds can be told apart.
 */
void sim_rng_fill(struct sim_world *w, void *buf, size_t len);

/* FNV-1a, 64 bits, of @len bytes. */
uint64_t sim_fnv1a64(const void *buf, size_t len);

/* trace point */
#define TP_sim_rng_fill "len=%lu fnv=0x%016llx"

#endif
