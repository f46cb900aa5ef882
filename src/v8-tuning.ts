import { setFlagsFromString } from "node:v8";

/**
 * Turns V8's allocation-site pretenuring off, before any other module is loaded (cli.ts imports
 * this first). V8 marks an allocation site "tenured" when nearly all its objects survived a
 * scavenge, and from then on allocates them in old space. Start-up, where almost everything
 * survives, marked sites that the hot paths share (a `pg` row among them); their short-lived
 * objects then went to old space, kept the young strings they point to alive until the next full
 * collection and made every scavenge copy and promote them: on PostgreSQL ~490 KB promoted per
 * scavenge and 1.5–2.9 ms pauses instead of 0.5–1 (decision 018). A request/response server
 * keeps almost nothing it allocates after start-up, which pretenuring is not made for.
 */
setFlagsFromString("--no-allocation-site-pretenuring");
