"""M/M/c in SimPy, the same model as fleetcap's benchmark: Poisson arrivals (rate lambda), c servers,
exponential service (rate mu), FIFO queue. Prints JSON: tasks, mean wait, wall and CPU seconds.

usage: python mmc_simpy.py TASKS SERVERS LAMBDA MU SEED
"""
import json
import random
import sys
import time

import simpy


def main() -> None:
    n, c, lam, mu, seed = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    stats = {"done": 0, "wait": 0.0}

    def job(env, service):
        arrived = env.now
        with servers.request() as req:
            yield req
            stats["wait"] += env.now - arrived
            yield env.timeout(service)
        stats["done"] += 1

    def source(env):
        for _ in range(n):
            yield env.timeout(rng.expovariate(lam))
            env.process(job(env, rng.expovariate(mu)))

    env.process(source(env))
    w0, c0 = time.perf_counter(), time.process_time()
    env.run()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(json.dumps({"tasks": stats["done"], "meanWaitS": stats["wait"] / stats["done"], "wallS": wall, "cpuS": cpu, "simpy": simpy.__version__}))


if __name__ == "__main__":
    main()
