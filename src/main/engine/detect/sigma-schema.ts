import { z } from 'zod';

/**
 * The parts of a Sigma document the engine relies on, validated; every other
 * attribute passes through untouched (rules carry custom fields, and the
 * spec allows them).
 */

const optionalText = z.preprocess((v) => (v === null ? undefined : typeof v === 'number' || v instanceof Date ? String(v) : v), z.string().optional());
const textList = z.preprocess((v) => (v === null || v === undefined ? [] : typeof v === 'string' ? [v] : v), z.array(z.unknown()).transform((xs) => xs.map(String)));

export const LogsourceSchema = z
  .object({
    product: optionalText,
    service: optionalText,
    category: optionalText,
    definition: z.unknown().optional(),
  })
  .loose();

const common = {
  title: z.string().min(1, 'title is empty'),
  id: optionalText,
  name: optionalText,
  status: optionalText,
  description: optionalText,
  author: optionalText,
  level: optionalText,
  tags: textList,
  references: textList,
  falsepositives: textList,
};

export const DetectionRuleSchema = z
  .object({
    ...common,
    logsource: LogsourceSchema,
    detection: z.record(z.string(), z.unknown()).refine((d) => 'condition' in d, { message: 'detection has no condition' }),
  })
  .loose();
export type DetectionRuleDoc = z.infer<typeof DetectionRuleSchema>;

const CountCondition = z
  .object({
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    eq: z.number().optional(),
    neq: z.number().optional(),
    field: z.string().optional(),
  })
  .strict()
  .refine((c) => ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'].some((k) => k in c), { message: 'condition needs one of gt, gte, lt, lte, eq, neq' });
export type CountCondition = z.infer<typeof CountCondition>;

export const CorrelationSchema = z
  .object({
    type: z.enum(['event_count', 'value_count', 'temporal', 'temporal_ordered']),
    rules: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string()).min(1, 'correlation.rules is empty')),
    'group-by': z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string()).optional()),
    timespan: z.string().regex(/^\d+[smhdwMy]$/, 'timespan must be a number and one of s, m, h, d, w, M, y (e.g. 5m)'),
    condition: CountCondition.optional(),
    aliases: z.record(z.string(), z.record(z.string(), z.string())).optional(),
    generate: z.boolean().optional(),
  })
  .loose();
export type CorrelationSection = z.infer<typeof CorrelationSchema>;

export const CorrelationRuleSchema = z
  .object({
    ...common,
    correlation: CorrelationSchema,
  })
  .loose();
export type CorrelationRuleDoc = z.infer<typeof CorrelationRuleSchema>;

/** "title: must be a string; detection.condition: ..." from a zod error. */
export function zodMessage(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}
