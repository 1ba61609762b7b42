/** The users page's table: its column headings around the rows it is given. */
import type { ReactNode } from 'react';
import { useI18n } from '../../i18n';

export function UsersTable({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  return (
    <div className="table-wrap">
      <table className="table" data-testid="users-table">
        <thead>
          <tr>
            <th scope="col">{t('admin.name')}</th>
            <th scope="col">{t('admin.phone')}</th>
            <th scope="col">{t('admin.role')}</th>
            <th scope="col">{t('admin.status')}</th>
            <th scope="col">{t('admin.created')}</th>
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
