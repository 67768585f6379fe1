import type { Engine } from './engine';
import type { Handlers } from './handlers';

/** The detections domain's operations (issue 6): alerts, triage, suppressions, rule runs, rules and packs. */
export function alertHandlers(engine: Engine) {
  const alerts = engine.alerts;
  return {
    listAlerts: async (input) => alerts.listAlerts(input),
    getAlert: async (input) => alerts.getAlert(input),
    triageAlerts: async (input) => ({ updated: await alerts.triage(input) }),
    addSuppression: async (input) => alerts.addSuppression(input),
    removeSuppression: async ({ id }) => ({ removed: await alerts.removeSuppression(id) }),
    listSuppressions: async () => alerts.listSuppressions(),
    runRules: async ({ ruleId, scope }) =>
      alerts.run(ruleId !== undefined ? { trigger: 'manual', scope: 'rule', ruleId } : { trigger: 'manual', scope }),
    cancelRuleRun: async () => ({ cancelled: alerts.cancel() }),
    getDetectionStatus: async () => alerts.status(),
    listRules: async (input) => alerts.listRules(input),
    getRule: async ({ id }) => alerts.getRule(id),
    setRulesEnabled: async ({ ids, enabled }) => ({ changed: await alerts.setEnabled(ids, enabled) }),
    importRules: async ({ path }) => alerts.importRules(path),
    listRulePacks: async () => ({ packs: await alerts.packs() }),
    removeRulePack: async ({ id }) => ({ removed: await alerts.removePack(id) }),
  } satisfies Partial<Handlers>;
}
