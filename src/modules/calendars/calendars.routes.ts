/**
 * Admin: calendars (working days, opening hours, bank holidays and closure days) that timescales count
 * on, added and changed in the browser rather than only through the catalogue file.
 *
 *   GET       /admin/calendars                                    every calendar
 *   GET, POST /admin/calendars/new                                add a calendar
 *   GET       /admin/calendars/:code                              a calendar: its week, closures and the
 *                                                                 next bank holidays it does not count
 *   GET, POST /admin/calendars/:code/edit                         change a calendar (not its code)
 *   GET, POST /admin/calendars/:code/closures/new                 add a closure day
 *   POST      /admin/calendars/:code/closures/:date/remove        remove a closure day
 *
 * The rules live in CalendarsService; these routes read the forms (the closure date is a GOV.UK date
 * input: day, month and year fields), show problems against the fields, and redirect with a banner.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { boundedField, buttonForm } from '../../infra/admin/index.js';
import { AppError } from '../../lib/errors.js';
import { asList, asText, FormErrors } from '../../lib/forms.js';
import {
  dateFromParts,
  WEEKDAYS,
  type CalendarChanges,
  type CalendarSummary,
  type DatePart,
} from './calendars.service.js';

const field = boundedField;
const calendarForm = Type.Object({
  code: field,
  name: field,
  workingWeekdays: Type.Optional(Type.Array(Type.String({ maxLength: 2 }), { maxItems: 7 })),
  opensAt: field,
  closesAt: field,
  bankHolidays: field,
});
const closureForm = Type.Object({
  'date-day': field,
  'date-month': field,
  'date-year': field,
  name: field,
});
const calendarParams = Type.Object({ code: Type.String({ maxLength: 63 }) });
const closureParams = Type.Object({
  code: Type.String({ maxLength: 63 }),
  date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
});

const BANK_HOLIDAY_LABELS: Record<CalendarSummary['bankHolidays'], string> = {
  'england-and-wales': 'Closed on bank holidays in England and Wales',
  none: 'Open on bank holidays: they are working days',
};

/** "Tuesday 29 December 2026", as GOV.UK writes dates (no comma after the day's name). */
function longDate(iso: string): string {
  const date = new Date(`${iso}T12:00:00Z`);
  const format = (options: Intl.DateTimeFormatOptions) =>
    date.toLocaleDateString('en-GB', { ...options, timeZone: 'UTC' });
  return `${format({ weekday: 'long' })} ${format({ day: 'numeric', month: 'long', year: 'numeric' })}`;
}

function dayNames(weekdays: number[]): string {
  return weekdays.map((d) => WEEKDAYS.find((w) => w.number === d)?.name ?? String(d)).join(', ');
}

interface CalendarFormValues {
  code: string;
  name: string;
  workingWeekdays: string[];
  opensAt: string;
  closesAt: string;
  bankHolidays: string;
}

function readCalendarForm(body: Record<string, unknown>): CalendarFormValues {
  return {
    code: asText(body.code),
    name: asText(body.name),
    workingWeekdays: asList(body.workingWeekdays),
    opensAt: asText(body.opensAt),
    closesAt: asText(body.closesAt),
    bankHolidays: asText(body.bankHolidays),
  };
}

function calendarToForm(calendar: CalendarSummary): CalendarFormValues {
  return {
    code: calendar.code,
    name: calendar.name,
    workingWeekdays: calendar.workingWeekdays.map(String),
    opensAt: calendar.opensAt,
    closesAt: calendar.closesAt,
    bankHolidays: calendar.bankHolidays,
  };
}

function changesFrom(values: CalendarFormValues): CalendarChanges & { code: string } {
  return { ...values, workingWeekdays: values.workingWeekdays.map(Number) };
}

/** The form's problems from a validation_failed AppError; anything else is thrown on. */
function formErrorsFrom(error: unknown): FormErrors {
  if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
  const errors = new FormErrors();
  for (const problem of error.fieldErrors) errors.add(problem.field, problem.message);
  return errors;
}

function calendarFormView(values: CalendarFormValues, errors?: FormErrors) {
  return {
    values,
    weekdayItems: WEEKDAYS.map((d) => ({
      value: String(d.number),
      text: d.name,
      checked: values.workingWeekdays.includes(String(d.number)),
    })),
    bankHolidayItems: Object.entries(BANK_HOLIDAY_LABELS).map(([value, text]) => ({
      value,
      text,
      checked: values.bankHolidays === value,
    })),
    ...(errors ? errors.view() : {}),
  };
}

interface ClosureFormValues {
  day: string;
  month: string;
  year: string;
  name: string;
}

/**
 * The closure form as the template needs it: the date input's items, marking the parts in error, and
 * the error summary linking to the first of them (a date input has no element with the field's own id).
 */
function closureFormView(values: ClosureFormValues, errors?: FormErrors, dateParts: DatePart[] = []) {
  const view = errors?.view();
  return {
    values,
    dateItems: (['day', 'month', 'year'] as const).map((part) => ({
      name: part,
      value: values[part],
      classes: part === 'year' ? 'govuk-input--width-4' : 'govuk-input--width-2',
      error: dateParts.includes(part),
    })),
    ...(view
      ? {
          errors: view.errors,
          errorSummary: view.errorSummary.map((item) =>
            item.href === '#date' ? { ...item, href: `#date-${dateParts[0] ?? 'day'}` } : item,
          ),
        }
      : {}),
  };
}

export const calendarAdminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const render = app.renderAdminPage;
  const { calendars } = app.domain;

  async function calendarOr404(code: string): Promise<CalendarSummary> {
    const calendar = await calendars.get(code);
    if (!calendar) throw new AppError('not_found', `There is no calendar "${code}"`);
    return calendar;
  }

  const calendarPath = (c: Pick<CalendarSummary, 'code'>) => `/admin/calendars/${encodeURIComponent(c.code)}`;

  // ---------------------------------------------------------------- calendars
  app.get('/admin/calendars', async (request, reply) => {
    const list = await calendars.list();
    return render(request, reply, 'calendars/views/calendars.njk', {
      calendars: list.map((c) => ({
        ...c,
        href: calendarPath(c),
        days: dayNames(c.workingWeekdays),
        bankHolidaysLabel: c.bankHolidays === 'england-and-wales' ? 'England and Wales' : 'Not counted',
      })),
    });
  });

  app.get('/admin/calendars/new', async (request, reply) =>
    render(request, reply, 'calendars/views/calendar-form.njk', {
      isNew: true,
      ...calendarFormView({
        code: '',
        name: '',
        workingWeekdays: ['1', '2', '3', '4', '5'],
        opensAt: '08:30',
        closesAt: '17:00',
        bankHolidays: 'england-and-wales',
      }),
    }),
  );

  app.post('/admin/calendars/new', { schema: { body: calendarForm } }, async (request, reply) => {
    const values = readCalendarForm(request.body);
    try {
      const calendar = await calendars.create(changesFrom(values));
      request.log.info({ staffId: request.staff?.id, calendar: calendar.code }, 'calendar added');
      return reply.redirect(`${calendarPath(calendar)}?saved=added`, 303);
    } catch (error) {
      const errors = formErrorsFrom(error);
      reply.status(400);
      return render(request, reply, 'calendars/views/calendar-form.njk', {
        isNew: true,
        ...calendarFormView(values, errors),
      });
    }
  });

  app.get(
    '/admin/calendars/:code',
    {
      schema: {
        params: calendarParams,
        querystring: Type.Object({
          saved: Type.Optional(Type.String({ maxLength: 20 })),
          date: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
        }),
      },
    },
    async (request, reply) => {
      const calendar = await calendarOr404(request.params.code);
      const { saved, date: dateParam } = request.query;
      // Only a real date: the banner must not name a day nobody chose (JavaScript reads 30 February as 2 March).
      const date =
        dateParam &&
        !Number.isNaN(Date.parse(dateParam)) &&
        new Date(dateParam).toISOString().startsWith(dateParam)
          ? dateParam
          : undefined;
      const savedMessage =
        saved === 'added'
          ? 'Calendar added'
          : saved === 'calendar'
            ? 'Changes to the calendar saved'
            : saved === 'closure-added' && date
              ? `Closure on ${longDate(date)} added`
              : saved === 'closure-removed' && date
                ? `Closure on ${longDate(date)} removed`
                : undefined;
      const path = calendarPath(calendar);
      return render(request, reply, 'calendars/views/calendar.njk', {
        calendar,
        savedMessage,
        summaryRows: [
          { key: { text: 'Code' }, value: { text: calendar.code } },
          { key: { text: 'Working days' }, value: { text: dayNames(calendar.workingWeekdays) } },
          {
            key: { text: 'Opening hours' },
            value: { text: `${calendar.opensAt} to ${calendar.closesAt} (${calendar.timeZone})` },
          },
          { key: { text: 'Bank holidays' }, value: { text: BANK_HOLIDAY_LABELS[calendar.bankHolidays] } },
        ],
        closures: calendar.closures.map((c) => ({
          ...c,
          label: longDate(c.date),
          removeAction: `${path}/closures/${c.date}/remove`,
        })),
        bankHolidays: calendars
          .upcomingBankHolidays(calendar)
          .map((h) => ({ ...h, label: longDate(h.date) })),
      });
    },
  );

  app.get('/admin/calendars/:code/edit', { schema: { params: calendarParams } }, async (request, reply) => {
    const calendar = await calendarOr404(request.params.code);
    return render(request, reply, 'calendars/views/calendar-form.njk', {
      isNew: false,
      calendar,
      ...calendarFormView(calendarToForm(calendar)),
    });
  });

  app.post(
    '/admin/calendars/:code/edit',
    { schema: { params: calendarParams, body: calendarForm } },
    async (request, reply) => {
      const calendar = await calendarOr404(request.params.code);
      const values = { ...readCalendarForm(request.body), code: calendar.code };
      try {
        await calendars.update(calendar.code, changesFrom(values));
        request.log.info({ staffId: request.staff?.id, calendar: calendar.code }, 'calendar changed');
        return reply.redirect(`${calendarPath(calendar)}?saved=calendar`, 303);
      } catch (error) {
        const errors = formErrorsFrom(error);
        reply.status(400);
        return render(request, reply, 'calendars/views/calendar-form.njk', {
          isNew: false,
          calendar,
          ...calendarFormView(values, errors),
        });
      }
    },
  );

  // ---------------------------------------------------------------- closure days
  app.get(
    '/admin/calendars/:code/closures/new',
    { schema: { params: calendarParams } },
    async (request, reply) => {
      const calendar = await calendarOr404(request.params.code);
      return render(request, reply, 'calendars/views/closure-form.njk', {
        calendar,
        calendarHref: calendarPath(calendar),
        ...closureFormView({ day: '', month: '', year: '', name: '' }),
      });
    },
  );

  app.post(
    '/admin/calendars/:code/closures/new',
    { schema: { params: calendarParams, body: closureForm } },
    async (request, reply) => {
      const calendar = await calendarOr404(request.params.code);
      const body = request.body;
      const values: ClosureFormValues = {
        day: asText(body['date-day']),
        month: asText(body['date-month']),
        year: asText(body['date-year']),
        name: asText(body.name),
      };
      const parsed = dateFromParts(values, { label: 'Date', missing: 'Enter the date of the closure' });
      let errors: FormErrors;
      let dateParts: DatePart[];
      if ('date' in parsed) {
        try {
          await calendars.addClosure(calendar.code, { date: parsed.date, name: values.name });
          request.log.info({ staffId: request.staff?.id, calendar: calendar.code }, 'closure added');
          return reply.redirect(
            `${calendarPath(calendar)}?saved=closure-added&date=${parsed.date}#closures`,
            303,
          );
        } catch (error) {
          errors = formErrorsFrom(error);
          dateParts = ['day', 'month', 'year'];
        }
      } else {
        errors = new FormErrors();
        errors.add('date', parsed.message);
        dateParts = parsed.parts;
        // The name is checked too, so the admin sees every problem at once.
        for (const problem of calendars.closureProblems({ name: values.name })) {
          errors.add(problem.field, problem.message);
        }
      }
      reply.status(400);
      return render(request, reply, 'calendars/views/closure-form.njk', {
        calendar,
        calendarHref: calendarPath(calendar),
        ...closureFormView(values, errors, errors.byField.date ? dateParts : []),
      });
    },
  );

  app.post(
    '/admin/calendars/:code/closures/:date/remove',
    { schema: { params: closureParams, body: buttonForm } },
    async (request, reply) => {
      const { code, date } = request.params;
      const calendar = await calendarOr404(code);
      await calendars.removeClosure(calendar.code, date);
      request.log.info({ staffId: request.staff?.id, calendar: calendar.code }, 'closure removed');
      return reply.redirect(`${calendarPath(calendar)}?saved=closure-removed&date=${date}#closures`, 303);
    },
  );
};
