import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderUi } from '../../test/render';
import { UsersTable } from './UsersTable';

const headings = (testId: string) =>
  within(screen.getByTestId(testId))
    .getAllByRole('columnheader')
    .map((th) => th.textContent);

describe('UsersTable', () => {
  it('heads every column of the users page, then an unlabelled actions column', () => {
    renderUi(
      <UsersTable>
        <tr>
          <td>Ana</td>
        </tr>
      </UsersTable>,
    );
    expect(headings('users-table')).toEqual(['Name', 'Phone', 'Role', 'Status', 'Joined', 'Actions']);
    expect(within(screen.getByTestId('users-table')).getByText('Actions').className).toBe('visually-hidden');
    expect(within(screen.getByTestId('users-table')).getByRole('cell').textContent).toBe('Ana');
  });

  it('heads only the columns it is given', () => {
    renderUi(
      <UsersTable columns={['name', 'phone', 'created']} testId="cohort-members">
        {null}
      </UsersTable>,
    );
    expect(headings('cohort-members')).toEqual(['Name', 'Phone', 'Joined', 'Actions']);
    expect(screen.queryByTestId('users-table')).toBeNull();
  });
});
