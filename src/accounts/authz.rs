//! Who may do what: the one place where roles are checked. Handlers name the action and the
//! workshop it touches; the answer is allowed, "sign in", "forbidden", or "not found" — a
//! user of one workshop gets not found for another workshop's rows, so that the answer
//! never confirms that a row exists.

use crate::domain::account::{Principal, Role};
use crate::domain::WorkshopId;
use crate::error::AppError;

/// Something a user asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See a workshop's portal pages.
    ViewWorkshop,
    /// Edit the workshop's profile and story.
    EditProfile,
    /// Keep the roster: workers, consent, household status, sensitive numbers.
    ManageWorkers,
    /// See household status and masked ID and bank numbers.
    ViewSensitive,
    /// Create, edit, archive and duplicate products; makers, photos; submit for review.
    EditProducts,
    /// Invite editors to the workshop.
    InviteEditor,
    /// Approve or reject products (any workshop).
    ReviewProducts,
    /// Record a workshop's certification and yearly confirmation.
    Certify,
    /// Invite workshop managers and officials.
    InviteManagerOrOfficial,
    /// See the workshop's order queue, ship parcels and mark them delivered.
    FulfilOrders,
    /// Confirm an offline payment (cash on delivery) of an order of this workshop.
    ConfirmPayments,
    /// Refund part of an order line, and decide return requests.
    Refund,
    /// Search every order (operators).
    SearchOrders,
    /// Read the workshop's reviews and reply to them.
    ReplyToReviews,
    /// Hide a review, with a reason (operators).
    HideReviews,
    /// Read the workshop's message threads and answer buyers.
    AnswerMessages,
    /// Register workstations and their designers (operators).
    ManageWorkstations,
    /// Quote a custom piece (price, makers and shares, wage rule, milestones) or decline a
    /// request.
    QuoteCustomWork,
}

impl Action {
    /// Whether the action concerns one workshop (and so needs its id).
    pub fn is_workshop_scoped(self) -> bool {
        !matches!(
            self,
            Action::ReviewProducts
                | Action::Certify
                | Action::InviteManagerOrOfficial
                | Action::SearchOrders
                | Action::HideReviews
                | Action::ManageWorkstations
        )
    }
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    SignIn,
    Forbidden,
    NotFound,
}

impl From<Denial> for AppError {
    fn from(d: Denial) -> Self {
        match d {
            Denial::SignIn => AppError::Unauthorized,
            Denial::Forbidden => AppError::Forbidden { key: "error.forbidden" },
            Denial::NotFound => AppError::NotFound,
        }
    }
}

/// The portal is for workshop staff and operators; buyers and officials are refused before
/// anything is looked up.
pub fn may_enter_portal(who: Option<&Principal>) -> Result<&Principal, Denial> {
    let who = who.ok_or(Denial::SignIn)?;
    match who.role {
        Role::Manager(_) | Role::Editor(_) | Role::Operator => Ok(who),
        Role::Buyer | Role::Official(_) => Err(Denial::Forbidden),
    }
}

/// Decides whether `who` may do `action` on `workshop` (ignored for platform-wide actions).
pub fn authorize(who: Option<&Principal>, action: Action, workshop: Option<WorkshopId>) -> Result<(), Denial> {
    let who = who.ok_or(Denial::SignIn)?;
    let (own, is_manager) = match who.role {
        Role::Operator => return Ok(()),
        Role::Manager(w) => (w, true),
        Role::Editor(w) => (w, false),
        Role::Buyer | Role::Official(_) => return Err(Denial::Forbidden),
    };
    if !action.is_workshop_scoped() {
        return Err(Denial::Forbidden);
    }
    if workshop != Some(own) {
        return Err(Denial::NotFound);
    }
    let allowed = match action {
        Action::ViewWorkshop
        | Action::EditProducts
        | Action::FulfilOrders
        | Action::ReplyToReviews
        | Action::AnswerMessages => true,
        Action::EditProfile
        | Action::ManageWorkers
        | Action::ViewSensitive
        | Action::InviteEditor
        | Action::ConfirmPayments
        | Action::Refund
        | Action::QuoteCustomWork => is_manager,
        Action::ReviewProducts
        | Action::Certify
        | Action::InviteManagerOrOfficial
        | Action::SearchOrders
        | Action::HideReviews
        | Action::ManageWorkstations => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(Denial::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::UserId;
    use crate::domain::RegionCode;

    fn who(role: Role) -> Principal {
        Principal { user_id: UserId(1), email: "a@b.cn".into(), display_name: "A".into(), role }
    }

    #[test]
    fn the_matrix() {
        let a = Some(WorkshopId(1));
        let region = RegionCode::parse("513400").unwrap_or_else(|| unreachable!());
        let manager = who(Role::Manager(WorkshopId(1)));
        let editor = who(Role::Editor(WorkshopId(1)));
        let other = who(Role::Editor(WorkshopId(2)));
        let official = who(Role::Official(region));
        let operator = who(Role::Operator);
        let buyer = who(Role::Buyer);
        use Denial::*;
        assert_eq!(authorize(None, Action::EditProducts, a), Err(SignIn));
        assert_eq!(authorize(Some(&buyer), Action::EditProducts, a), Err(Forbidden));
        assert_eq!(authorize(Some(&official), Action::ViewWorkshop, a), Err(Forbidden));
        assert_eq!(authorize(Some(&editor), Action::EditProducts, a), Ok(()));
        assert_eq!(authorize(Some(&editor), Action::ManageWorkers, a), Err(Forbidden));
        assert_eq!(authorize(Some(&editor), Action::ViewSensitive, a), Err(Forbidden));
        assert_eq!(authorize(Some(&other), Action::EditProducts, a), Err(NotFound));
        assert_eq!(authorize(Some(&other), Action::ManageWorkers, a), Err(NotFound));
        assert_eq!(authorize(Some(&manager), Action::ManageWorkers, a), Ok(()));
        assert_eq!(authorize(Some(&manager), Action::ReviewProducts, None), Err(Forbidden));
        assert_eq!(authorize(Some(&operator), Action::ReviewProducts, None), Ok(()));
        assert_eq!(authorize(Some(&operator), Action::EditProfile, a), Ok(()));
        assert_eq!(authorize(Some(&editor), Action::FulfilOrders, a), Ok(()));
        assert_eq!(authorize(Some(&editor), Action::Refund, a), Err(Forbidden));
        assert_eq!(authorize(Some(&manager), Action::Refund, a), Ok(()));
        assert_eq!(authorize(Some(&other), Action::FulfilOrders, a), Err(NotFound));
        assert_eq!(authorize(Some(&manager), Action::SearchOrders, None), Err(Forbidden));
        assert_eq!(authorize(Some(&operator), Action::SearchOrders, None), Ok(()));
        assert_eq!(authorize(Some(&editor), Action::ReplyToReviews, a), Ok(()));
        assert_eq!(authorize(Some(&other), Action::ReplyToReviews, a), Err(NotFound));
        assert_eq!(authorize(Some(&manager), Action::HideReviews, None), Err(Forbidden));
        assert_eq!(authorize(Some(&operator), Action::HideReviews, None), Ok(()));
        assert_eq!(authorize(Some(&editor), Action::AnswerMessages, a), Ok(()));
        assert_eq!(authorize(Some(&other), Action::AnswerMessages, a), Err(NotFound));
        assert_eq!(may_enter_portal(Some(&buyer)).err(), Some(Forbidden));
        assert!(may_enter_portal(Some(&editor)).is_ok());
    }
}
