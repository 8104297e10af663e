/**
 * Schema pieces more than one settings group uses. The groups live in their own files (runtime, delivery,
 * site, staff) so each setting sits next to the checks that read it; `src/config.ts` puts them together.
 */
import { Type } from 'typebox';

export const Port = Type.Integer({ minimum: 0, maximum: 65535 });
export const PositiveInt = Type.Integer({ minimum: 1 });
