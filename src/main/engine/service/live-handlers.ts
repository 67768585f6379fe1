import type { LiveService } from '../live/live-service';
import type { Handlers } from './handlers';

type LiveOps = 'startListener' | 'startWatch' | 'stopLiveSource' | 'removeLiveSource' | 'listLiveSources';

/** The live sources' operations (issue 10): listeners and watched files of the open case. */
export function liveHandlers(live: LiveService): Pick<Handlers, LiveOps> {
  return {
    startListener: (spec) => live.startListener(spec),
    startWatch: (spec) => live.startWatch(spec),
    stopLiveSource: ({ id }) => live.stop(id),
    removeLiveSource: ({ id }) => live.remove(id),
    listLiveSources: async () => ({ sources: await live.list() }),
  };
}
