/**
 * A table of users: the column headings (and the unlabelled actions column) around the rows it is
 * given. The users page shows every column; a cohort's member list the few that matter there.
 */
import type { ReactNode } from 'react';
import { useI18n, type MessageKey } from '../../i18n';

export type UserColumn = 'name' | 'phone' | 'role' | 'status' | 'created';

const HEADINGS: Record<UserColumn, MessageKey> = {
  name: 'admin.name',
  phone: 'admin.phone',
  role: 'admin.role',
  status: 'admin.status',
  created: 'admin.created',
};

const ALL_COLUMNS: readonly UserColumn[] = ['name', 'phone', 'role', 'status', 'created'];

export function UsersTable({
  columns = ALL_COLUMNS,
  testId = 'users-table',
  children,
}: {
  columns?: readonly UserColumn[];
  testId?: string;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {t(HEADINGS[column])}
              </th>
            ))}
            <th scope="col">
              <span className="visually-hidden">{t('admin.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
